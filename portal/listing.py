"""Lists that pass a screen (issue 17): a text search done by the database and pages."""
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


def page_of(request, items, per_page=PER_PAGE):
    """The requested page of ``items`` (a bad or too large number: the nearest page) and its numbers."""
    try:
        page = max(1, int(request.params.get("page", "1")))
    except ValueError:
        page = 1
    pages = max(1, -(-len(items) // per_page))
    page = min(page, pages)
    return {"items": items[(page - 1) * per_page:page * per_page], "page": page, "pages": pages, "total": len(items)}


def page_of_query(request, dbsession, query, per_page=PER_PAGE):
    """The requested page of a query's rows, counted and cut by the database (LIMIT/OFFSET)."""
    total = dbsession.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    listing = page_of(request, range(total), per_page)
    offset = (listing["page"] - 1) * per_page
    listing["items"] = dbsession.execute(query.limit(per_page).offset(offset)).scalars().all()
    return listing
