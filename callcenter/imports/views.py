"""Rule 15: importing a client's history, from an .xlsx file (page) or JSON rows (API)."""
from io import BytesIO

from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from pyramid.view import view_config

from callcenter.imports.services import (import_appointments, import_limits, rows_from_xlsx, template_workbook,
                                         validated_rows)
from callcenter.appointments.resources import CampaignAppointments
from callcenter.appointments.serialize import appointment_json
from portal import permissions as P
from portal.api.plumbing import api_view, json_body
from portal.errors import RuleViolation
from portal.i18n import _, translate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@api_view(context=CampaignAppointments, name="import", request_method="POST", permission=P.MANAGE)
def import_api(context, request):
    body = json_body(request)
    unknown = sorted(set(body) - {"rows"})
    if unknown:
        raise RuleViolation("validation_error", _("unknown_field", default="Unknown field."), unknown[0])
    max_rows, _unzipped = import_limits(request.registry.settings)
    rows = validated_rows(body.get("rows"), max_rows)
    appointments = import_appointments(request.dbsession, campaign=context.__parent__.campaign, rows=rows,
                                       imported_by=request.user, now=request.now)
    request.response.status_int = 201
    return {"imported": len(appointments), "appointments": [appointment_json(a) for a in appointments]}


@view_config(context=CampaignAppointments, name="import", request_method="GET", permission=P.MANAGE,
             renderer="callcenter.imports:templates/import.jinja2")
def import_page(context, request):
    return page(context, request)


@view_config(context=CampaignAppointments, name="import", request_method="POST", permission=P.MANAGE,
             renderer="callcenter.imports:templates/import.jinja2")
def import_upload(context, request):
    campaign = context.__parent__.campaign
    try:
        max_rows, max_unzipped_bytes = import_limits(request.registry.settings)
        rows, numbers = rows_from_xlsx(uploaded_file(request), campaign, max_rows, max_unzipped_bytes)
        appointments = import_appointments(request.dbsession, campaign=campaign, rows=rows, row_numbers=numbers,
                                           imported_by=request.user, now=request.now)
    except RuleViolation as violation:
        request.tm.doom()  # all rows or none: nothing of this file is written
        request.response.status_int = violation.status
        return page(context, request, error=translate(request, violation.message))
    message = _("import_done", default="${count} appointments imported.", mapping={"count": len(appointments)})
    request.session.flash(translate(request, message), "success")
    return HTTPFound(request.resource_url(context.__parent__))


@view_config(context=CampaignAppointments, name="import-template.xlsx", request_method="GET", permission=P.MANAGE)
def import_template(context, request):
    stream = BytesIO()
    template_workbook(context.__parent__.campaign).save(stream)
    return Response(stream.getvalue(), content_type=XLSX,
                    content_disposition=f'attachment; filename="import-{context.__parent__.campaign.slug}.xlsx"')


def uploaded_file(request):
    upload = request.POST.get("file")
    if not hasattr(upload, "file"):
        raise RuleViolation("validation_error", _("import_choose_file", default="Choose an .xlsx file."), "file")
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise RuleViolation("validation_error", _("import_file_too_large", default="The file is larger than 10 MB."),
                            "file")
    return BytesIO(data)


def page(context, request, error=None):
    return {"campaign": context.__parent__.campaign, "folder": context.__parent__, "error": error}


def includeme(config):
    config.scan(__name__)
