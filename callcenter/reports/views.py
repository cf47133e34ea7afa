"""The "Totale Appuntamenti" report, the statistics and the Excel exports of a folder (pages and API)."""
import tempfile
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPFound
from pyramid.response import FileIter, FileResponse
from pyramid.traversal import resource_path_tuple
from pyramid.view import view_config

from agents.resources import AgentFolder, ZoneFolder
from callcenter.reports import exports
from callcenter.reports import services as reports
from callcenter.reports.schemas import ReportQuery
from callcenter.reports.resources import ExportResource
from campaigns.resources import CampaignFolder, ClientFolder, client_folder_of
from portal import permissions as P
from portal.api.plumbing import api_view, deserialize, json_body
from portal.errors import RuleViolation
from portal.i18n import LOCALE_COOKIE, _

FOLDERS = (ClientFolder, CampaignFolder, ZoneFolder, AgentFolder)


def folder_views(decorator, **settings):
    """``decorator(context=F, **settings)`` for every kind of folder F."""
    def apply(function):
        for folder in FOLDERS:
            function = decorator(context=folder, **settings)(function)
        return function
    return apply


def report_filters(context, request, data=None):
    """(params, filters) from the query string (or ``data``), checked: unknown names, reversed or
    absurd ranges and choices the client does not have are refused with ``validation_error``."""
    if data is None:
        data = {key: value for key, value in request.GET.items() if key != LOCALE_COOKIE}
    params = deserialize(ReportQuery(), data)
    return params, reports.report_filters(request.dbsession, client_folder_of(context).client, params)


def timezone_of(context):
    return client_folder_of(context).client.timezone


def query_of(params):
    """The filters as a query string again, for links and the export form."""
    return {name: (value.isoformat() if hasattr(value, "isoformat") else value)
            for name, value in params.items() if value not in (None, "")}


def folder_path(context):
    """The folder's path below its client ("" for the client itself, "zones/milano", ...)."""
    return "/".join(resource_path_tuple(context)[3:])


# --- "Totale Appuntamenti" -----------------------------------------------------------------------


@folder_views(view_config, name="totals", request_method="GET", permission=P.VIEW,
              renderer="callcenter.reports:templates/totals.jinja2")
def totals_page(context, request):
    params, filters = report_filters(context, request)
    client = client_folder_of(context).client
    return {"folder": context, "client": client, "params": params, "query": query_of(params),
            "report": reports.totals(request.dbsession, context.appointment_scope, filters, tz=client.timezone),
            "may_see_statistics": request.has_permission(P.STATISTICS, context)}


@folder_views(api_view, name="totals", request_method="GET", permission=P.VIEW)
def totals_api(context, request):
    params, filters = report_filters(context, request)
    report = reports.totals(request.dbsession, context.appointment_scope, filters, tz=timezone_of(context))
    return {"filters": query_of(params), **report}


# --- Statistics ----------------------------------------------------------------------------------


def folder_statistics(context, request):
    params, filters = report_filters(context, request)
    return params, reports.statistics(request.dbsession, context.appointment_scope, filters, tz=timezone_of(context),
                                      per_operator=request.has_permission(P.OPERATOR_STATISTICS, context))


@folder_views(view_config, name="statistics", request_method="GET", permission=P.STATISTICS,
              renderer="callcenter.reports:templates/statistics.jinja2")
def statistics_page(context, request):
    params, statistics = folder_statistics(context, request)
    return {"folder": context, "client": client_folder_of(context).client, "params": params,
            "query": query_of(params), "statistics": statistics}


@folder_views(api_view, name="statistics", request_method="GET", permission=P.STATISTICS)
def statistics_api(context, request):
    params, statistics = folder_statistics(context, request)
    return {"filters": query_of(params), **statistics}


# --- Excel export --------------------------------------------------------------------------------


@folder_views(view_config, name="export", request_method="POST", permission=P.VIEW)
def export_page(context, request):
    """A small folder downloads at once; a larger one becomes a job with a progress page."""
    data = {key: value for key, value in request.POST.items() if key not in ("csrf_token", LOCALE_COOKIE) and value}
    params, filters = report_filters(context, request, data)
    client = client_folder_of(context).client
    settings = request.registry.settings
    direct = exports.setting(settings, "portal.export_direct_rows", exports.DEFAULT_DIRECT_ROWS)
    rows = exports.count_rows(request.dbsession, context.appointment_scope, filters, tz=client.timezone)
    if rows <= direct:
        return direct_download(context, request, client, filters)
    export = exports.request_export(request.dbsession, client=client, owner=request.user, folder=folder_path(context),
                                    scope=context.appointment_scope, filters=filters, locale=request.locale_name,
                                    now=request.now)
    return HTTPFound(request.resource_url(client_folder_of(context), "exports", str(export.id)))


def direct_download(context, request, client, filters):
    handle = tempfile.TemporaryFile()  # the workbook is written to disk as it grows, then sent in chunks
    exports.write_workbook(handle, request.dbsession, client=client, scope=context.appointment_scope, filters=filters,
                           translate=request.localizer.translate)
    size = handle.tell()
    handle.seek(0)
    response = request.response
    response.content_type = exports.XLSX
    response.content_length = size
    response.app_iter = FileIter(handle)
    today = request.now.astimezone(ZoneInfo(client.timezone)).date()
    response.content_disposition = f'attachment; filename="{exports.file_name(client, folder_path(context), today)}"'
    return response


@folder_views(api_view, name="export", request_method="POST", permission=P.VIEW)
def export_api(context, request):
    """Through the API an export is always a job: the caller follows it at the answer's ``url``."""
    body = json_body(request)
    params, filters = report_filters(context, request, {key: value for key, value in body.items()
                                                        if value is not None})
    client = client_folder_of(context).client
    export = exports.request_export(request.dbsession, client=client, owner=request.user, folder=folder_path(context),
                                    scope=context.appointment_scope, filters=filters, locale=request.locale_name,
                                    now=request.now)
    request.response.status_int = 201
    return export_json(request, client_folder_of(context), export)


def export_json(request, client_folder, export):
    tz = client_folder.client.timezone
    from callcenter.appointments.serialize import local_iso_or_none

    resource = (client_folder, "exports", str(export.id))
    return {
        "id": export.id,
        "state": export.state,
        "rows_done": export.rows_done,
        "rows_total": export.rows_total,
        "percent": export.percent,
        "filters": export.filters,
        "created_at": local_iso_or_none(export.created_at, tz),
        "finished_at": local_iso_or_none(export.finished_at, tz),
        "url": request.resource_url(*resource),
        "download": request.resource_url(*resource, "download") if export.state == "done" else None,
    }


@api_view(context=ExportResource, request_method="GET", permission=P.DOWNLOAD_EXPORT)
def export_status_api(context, request):
    return export_json(request, client_folder_of(context), context.export)


@view_config(context=ExportResource, request_method="GET", permission=P.DOWNLOAD_EXPORT,
             renderer="callcenter.reports:templates/export.jinja2")
def export_status_page(context, request):
    client_folder = client_folder_of(context)
    export = context.export
    folder_url = request.resource_url(client_folder) + (export.folder + "/" if export.folder else "")
    return {"client": client_folder.client, "export": export, "folder_url": folder_url,
            "status": export_json(request, client_folder, export),
            "status_url": request.route_url("api", traverse=("clients", client_folder.client.slug, "exports",
                                                             str(export.id)))}


@view_config(context=ExportResource, name="download", request_method="GET", permission=P.DOWNLOAD_EXPORT)
def export_download(context, request):
    export = context.export
    if export.state != "done" or not export.file_path:
        raise RuleViolation("conflict", _("export_not_ready", default="The export is not ready yet."))
    try:
        response = FileResponse(export.file_path, request=request, content_type=exports.XLSX)
    except OSError:  # cleaned away meanwhile
        raise RuleViolation("not_found")
    client = client_folder_of(context).client
    day = export.created_at.astimezone(ZoneInfo(client.timezone)).date()
    response.content_disposition = f'attachment; filename="{exports.file_name(client, export.folder, day)}"'
    return response


def includeme(config):
    config.add_static_view("static/callcenter", "callcenter.reports:static", cache_max_age=3600)
    config.scan(__name__)
