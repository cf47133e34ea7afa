"""The operators' workspace (spec §6): the campaigns open for booking, and the worklists as JSON, searched,
filtered and in pages by the database (README "What it does", lists that pass a screen)."""
from pyramid.view import view_config

from callcenter.appointments.resources import CallCenter
from callcenter.appointments.serialize import appointment_json, call_json, recovery_json
from callcenter.workspace import schemas, services
from campaigns.resources import permitted_client_ids
from campaigns.serialize import campaign_json
from campaigns.services import open_for_booking_query
from portal import permissions as P
from portal.api.plumbing import api_view, deserialize
from portal.i18n import LOCALE_COOKIE
from portal.listing import PER_PAGE, page_of_query

API_PER_PAGE = 50


def list_params(request, schema):
    """The query string validated by ``schema`` (a bad value: 400 validation_error, page or API)."""
    return deserialize(schema, {key: value for key, value in request.GET.items() if key != LOCALE_COOKIE})


def page_params(request, schema):
    """The same for a page, whose page numbers are read leniently (a bad one: the first page)."""
    return deserialize(schema, {key: value for key, value in request.GET.items()
                                if key not in (LOCALE_COOKIE, "page", "done_page")})


def api_page(request, query, params, **kw):
    """One page for the API: ``page`` and ``per_page`` as asked (past the last page: no items)."""
    return page_of_query(request, request.dbsession, query, params["per_page"] or API_PER_PAGE,
                         page=params["page"] or 1, **kw)


def page_numbers(listing):
    return {name: listing[name] for name in ("page", "per_page", "pages", "total")}


# --- The operators' workspace ------------------------------------------------------------------


@view_config(context=CallCenter, permission=P.BOOK, renderer="callcenter.workspace:templates/workspace.jinja2")
def workspace(context, request):
    """Campaigns open for booking, searched by client or campaign name and in pages cut by the database;
    a full campaign is no longer offered (rule 7)."""
    params = page_params(request, schemas.WorkspaceQuery())
    search = (params["q"] or "").strip()
    listing = page_of_query(request, request.dbsession, bookable_campaigns(request, search, params["client"]),
                            params["per_page"] or PER_PAGE)
    return {"campaigns": listing["items"], "search": search, **listing}


@api_view(context=CallCenter, request_method="GET", permission=P.BOOK)
def workspace_api(context, request):
    """The same list for a dialer: where to book now."""
    params = list_params(request, schemas.WorkspaceQuery())
    listing = api_page(request, bookable_campaigns(request, params["q"], params["client"]), params)
    return {"items": [campaign_json(campaign) for campaign in listing["items"]], **page_numbers(listing)}


def bookable_campaigns(request, search=None, client=None):
    """The query of the campaigns open for booking of the clients the ACL lets the user book for."""
    return open_for_booking_query(search, permitted_client_ids(request, P.BOOK), client)


# --- The worklists -------------------------------------------------------------------------------


@api_view(context=CallCenter, name="confirmations", request_method="GET", permission=P.CONFIRMATION_CALL)
def confirmations(context, request):
    """Tomorrow's appointments still to confirm, live, each with the progress of today's call as the
    page shows it."""
    params = list_params(request, schemas.ConfirmationsQuery())
    client_ids = permitted_client_ids(request, P.CONFIRMATION_CALL)
    query = services.tomorrow_to_confirm(request.dbsession, schemas.worklist_filters(params), client_ids, request.now)
    listing = api_page(request, query, params)
    calls = services.todays_calls_of(request.dbsession, listing["items"], request.now)
    return {"items": [dict(worklist_item(appointment),
                           call=call_json(calls.get(appointment.id), appointment.client.timezone))
                      for appointment in listing["items"]], **page_numbers(listing)}


@api_view(context=CallCenter, name="rescheduling", request_method="GET", permission=P.CONFIRMATION_CALL)
def rescheduling(context, request):
    """Rule 6: the appointments to move of the clients whose calls the user makes."""
    params = list_params(request, schemas.ReschedulingQuery())
    query = services.appointments_to_move(request.dbsession, schemas.worklist_filters(params),
                                          permitted_client_ids(request, P.CONFIRMATION_CALL))
    listing = api_page(request, query, params)
    return {"items": [worklist_item(appointment) for appointment in listing["items"]], **page_numbers(listing)}


@api_view(context=CallCenter, name="recoveries", request_method="GET", permission=P.BOOK)
def recoveries(context, request):
    """Rule 11: the recoveries released to the operators, each with the number ``recovers`` takes."""
    params = list_params(request, schemas.RecoveriesQuery())
    query = services.released_recoveries(request.dbsession, schemas.worklist_filters(params),
                                         permitted_client_ids(request, P.BOOK))
    listing = api_page(request, query, params, scalars=False)
    return {"items": [recovery_json(recovery, campaign) for recovery, campaign in listing["items"]],
            **page_numbers(listing)}


def worklist_item(appointment):
    return dict(appointment_json(appointment), client=appointment.client.slug)


def includeme(config):
    config.add_static_view("static/workspace", "callcenter.workspace:static", cache_max_age=3600)
    config.add_home_resolver("operator", lambda request, user: request.resource_url(request.root, "callcenter"))
    config.scan(__name__)
