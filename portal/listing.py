"""Lists that pass a screen (README "What it does", lists that pass a screen): a text search done by the database and pages."""
from sqlalchemy import func, or_, select

PER_PAGE = 25


def where_words(query, text, columns):
    """``query`` keeping the rows where each word of ``text`` appears in one of ``columns``
    (case-insensitive; % and _ are searched as themselves)."""
    for word in (text or "").split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return query


def search_text(request):
    return request.params.get("q", "").strip()[:100]


def requested_page(request, param="page"):
    """The page number asked in the query string; a bad one is the first page."""
    try:
        return max(1, int(request.params.get(param, "1")))
    except ValueError:
        return 1


def page_of(request, items, per_page=PER_PAGE, param="page"):
    """The requested page of ``items`` (a bad or too large number: the nearest page) and its numbers."""
    page = requested_page(request, param)
    pages = max(1, -(-len(items) // per_page))
    page = min(page, pages)
    return {"items": items[(page - 1) * per_page:page * per_page], "page": page, "pages": pages, "total": len(items)}


def page_of_query(request, dbsession, query, per_page=PER_PAGE, *, page=None, param="page", scalars=True):
    """The requested page of a query's rows, counted and cut by the database (LIMIT/OFFSET).

    Pages read the number from ``param`` of the query string and show the nearest page when it is too
    large; the API passes the ``page`` it validated and gets an empty page past the last one.
    ``scalars=False`` keeps whole rows (a query selecting several entities)."""
    total = dbsession.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    if page is None:
        page = min(requested_page(request, param), pages)
    result = dbsession.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = result.scalars().all() if scalars else result.all()
    return {"items": items, "page": page, "pages": pages, "total": total, "per_page": per_page}
