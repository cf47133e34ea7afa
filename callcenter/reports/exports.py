"""Excel exports of a folder's appointments (spec §4 and §7).

The workbook is openpyxl's write-only one, fed row by row from a streamed query (a
server-side cursor on PostgreSQL through ``yield_per``), so memory stays flat as the rows
grow. A small export is built inside the request and downloaded at once; a large one is an
``Export`` row and a job (``build_export``) that writes the file under ``portal.export_dir``
and reports its progress every ``portal.export_progress_rows`` rows.
"""
import logging
import os
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import select, update

from agents.models import Agent, Zone
from callcenter.reports import services as reports
from callcenter.appointments.labels import OUTCOME_LABELS, STATE_LABELS
from callcenter.appointments.models import Appointment
from callcenter.reports.models import Export
from campaigns.models import Campaign, CampaignField, Client
from portal.i18n import _
from portal.jobs.outbox import request_job

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_DIRECTORY = "var/exports"
DEFAULT_DIRECT_ROWS = 2000
DEFAULT_PROGRESS_ROWS = 1000
DEFAULT_KEEP_HOURS = 48
DATE_TIME = "dd/mm/yyyy hh:mm"
DATE = "dd/mm/yyyy"
BOLD = Font(bold=True)

# (heading, width, what the row gives) of the appointments sheet; the campaign fields follow.
COLUMNS = (
    (_("Number"), 9),
    (_("Date"), 17),
    (_("State"), 14),
    (_("Campaign"), 22),
    (_("Zone"), 16),
    (_("Agent"), 22),
    (_("Prospect name"), 28),
    (_("Company"), 28),
    (_("Phone"), 16),
    (_("Address"), 32),
    (_("Postal code"), 11),
    (_("Province"), 9),
    (_("Notes"), 40),
    (_("Outcome"), 18),
    (_("Confirmed on"), 17),
    (_("Cancelled on"), 17),
    (_("Booked on"), 17),
)
DATE_COLUMNS = {1, 14, 15, 16}


def setting(settings, name, default):
    value = settings.get(name)
    return type(default)(value) if value not in (None, "") else default


def export_directory(settings):
    return Path(setting(settings, "portal.export_dir", DEFAULT_DIRECTORY))


def rows_query(scope, filters, *, tz):
    """The folder's appointments as plain rows, oldest first, with the names they show."""
    query = (
        select(Appointment.id, Appointment.number, Appointment.start_at, Appointment.state, Campaign.name,
               Zone.name, Agent.name, Appointment.prospect_name, Appointment.prospect_company,
               Appointment.prospect_phone, Appointment.prospect_address, Appointment.prospect_postal_code,
               Appointment.prospect_province, Appointment.notes, Appointment.outcome, Appointment.confirmed_at,
               Appointment.cancelled_at, Appointment.created_at, Appointment.fields)
        .select_from(Appointment)
        .join(Campaign, Campaign.id == Appointment.campaign_id)
        .join(Agent, Agent.id == Appointment.agent_id)
        .outerjoin(Zone, Zone.id == Appointment.zone_id)
    )
    return reports.scoped(query, scope, filters, tz=tz).order_by(Appointment.start_at, Appointment.id)


def field_columns(dbsession, client_id, scope, filters):
    """The campaign fields (rule 14) that become columns: those of the folder's campaigns, each name once."""
    query = (select(CampaignField.name, CampaignField.label, CampaignField.kind)
             .join(Campaign, Campaign.id == CampaignField.campaign_id).where(Campaign.client_id == client_id))
    if "campaign_id" in scope:
        query = query.where(Campaign.id == scope["campaign_id"])
    if filters.campaign:
        query = query.where(Campaign.slug == filters.campaign)
    columns = {}
    for name, label, kind in dbsession.execute(query.order_by(Campaign.name, Campaign.id, CampaignField.position)):
        columns.setdefault(name, (label, kind))
    return [(name, label, kind) for name, (label, kind) in columns.items()]


def count_rows(dbsession, scope, filters, *, tz):
    from sqlalchemy import func

    return dbsession.execute(reports.scoped(select(func.count()).select_from(Appointment), scope, filters, tz=tz)
                             ).scalar_one()


def write_workbook(target, dbsession, *, client, scope, filters, translate, progress=None, batch=1000):
    """Write the folder's .xlsx to ``target`` (a path or a binary file): the appointments sheet,
    streamed, and the totals sheet, the same numbers as the report page. Returns the totals."""
    tz = client.timezone
    zone = ZoneInfo(tz)
    report = reports.totals(dbsession, scope, filters, tz=tz)
    fields = field_columns(dbsession, client.id, scope, filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(_("Appointments"))[:31])
    totals_sheet = workbook.create_sheet(translate(_("Total appointments"))[:31])
    write_totals(totals_sheet, report, translate)

    for index, (_heading, width) in enumerate(COLUMNS):
        sheet.column_dimensions[column_letter(index)].width = width
    for index, _field in enumerate(fields, start=len(COLUMNS)):
        sheet.column_dimensions[column_letter(index)].width = 18
    sheet.freeze_panes = "A2"
    sheet.append([heading_cell(sheet, translate(heading)) for heading, _width in COLUMNS]
                 + [heading_cell(sheet, label) for _name, label, _kind in fields])

    states = {state: translate(label) for state, label in STATE_LABELS.items()}
    outcomes = {outcome: translate(label) for outcome, label in OUTCOME_LABELS.items()}
    result = dbsession.execute(rows_query(scope, filters, tz=tz).execution_options(yield_per=batch))
    done = 0
    for row in result:
        (_id, number, start, state, campaign, zone_name, agent, name, company, phone, address, postal_code, province,
         notes, outcome, confirmed_at, cancelled_at, created_at, own) = row
        values = [number, local(start, zone), states.get(state, state), campaign, zone_name or "", agent, name,
                  company or "", phone, address or "", postal_code, province or "", notes or "",
                  outcomes.get(outcome, "") if outcome else "", local(confirmed_at, zone), local(cancelled_at, zone),
                  local(created_at, zone)]
        values = [dated(sheet, value, index) if index in DATE_COLUMNS and value is not None else value
                  for index, value in enumerate(values)]
        values += [field_value(sheet, (own or {}).get(name), kind) for name, _label, kind in fields]
        sheet.append(row_of(values))
        done += 1
        if progress is not None and done % batch == 0:
            progress(done)
    workbook.save(target)
    if progress is not None:
        progress(done)
    return report


def write_totals(sheet, report, translate):
    """The report page's tables, one under the other, on the second sheet."""
    sheet.column_dimensions["A"].width = 28
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 14
    sheet.freeze_panes = "A2"
    headings = [translate(_("To confirm")), translate(_("Confirmed")), translate(_("Cancelled")),
                translate(_("Taken")), translate(_("Total"))]

    def counts(row):
        return [row["to_confirm"], row["confirmed"], row["cancelled"], row["taken"], row["total"]]

    sheet.append([heading_cell(sheet, translate(_("Total appointments")))] + [heading_cell(sheet, h) for h in headings])
    sheet.append([translate(_("All"))] + counts(report))
    sheet.append([translate(_("Recovered")), None, None, None, None, report["recovered"]])
    sheet.append([translate(_("Recoveries owed")), None, None, None, None, report["recoveries_owed"]])
    for title, rows, label in (
        (_("By month"), report["by_month"], lambda row: row["month"]),
        (_("By agent"), report["by_agent"], lambda row: row["name"] or "—"),
        (_("By zone"), report["by_zone"], lambda row: row["name"] or translate(_("No zone"))),
    ):
        if not rows:
            continue
        sheet.append([])
        sheet.append([heading_cell(sheet, translate(title))] + [heading_cell(sheet, h) for h in headings])
        for row in rows:
            sheet.append(row_of([label(row)] + counts(row)))


def column_letter(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def excel_text(value):
    """Text as a worksheet may hold it: the control characters Excel refuses (a field's label or a
    prospect's notes may carry one) are dropped, or the whole export would fail."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def row_of(values):
    return [excel_text(value) for value in values]


def heading_cell(sheet, text):
    cell = WriteOnlyCell(sheet, value=excel_text(text))
    cell.font = BOLD
    return cell


def local(moment, zone):
    """Excel knows no time zones: the client's wall-clock time, as the pages show it."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment is not None else None


def dated(sheet, value, index):
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_TIME
    return cell


def field_value(sheet, value, kind):
    if value is None:
        return None
    if kind == "date" and isinstance(value, str):
        try:
            cell = WriteOnlyCell(sheet, value=date.fromisoformat(value))
        except ValueError:
            return value
        cell.number_format = DATE
        return cell
    if isinstance(value, (dict, list)):
        return str(value)
    return excel_text(value)


def file_name(client, folder, today):
    parts = [client.slug] + [part for part in folder.split("/")[1::2] if part]
    return f"appuntamenti-{'-'.join(parts)}-{today.isoformat()}.xlsx"


# --- Exports as jobs ---------------------------------------------------------------------------


def request_export(dbsession, *, client, owner, folder, scope, filters, locale, now):
    """An export row, queued, and its job, pushed once the request commits (spec §7)."""
    export = Export(client_id=client.id, owner_id=owner.id, folder=folder, scope=dict(scope),
                    filters=reports.filters_as_json(filters), locale=locale, state="queued", rows_done=0,
                    error="", created_at=now)
    dbsession.add(export)
    dbsession.flush()
    request_job(dbsession, "callcenter.reports.exports:build_export", now, export_id=export.id)
    return export


def job_translator(registry, locale):
    localizer = make_localizer(locale, registry.queryUtility(ITranslationDirectories) or [])
    return localizer.translate


def build_export(dbsession, context, export_id):
    """The job: write the export's file, reporting progress in short commits of their own.

    It reads through the job's transaction, which writes the outcome (done, or failed for a
    file that cannot be written) together with the outbox's mark, so it runs once; the export
    row is left alone in that transaction until the end, so that the progress commits never
    wait for it. On SQLite, whose writers lock the whole file, the progress goes with the job's
    transaction (and shows at its end)."""
    export = dbsession.get(Export, export_id)
    if export is None or export.state == "done":
        return "nothing to do"
    client = dbsession.get(Client, export.client_id)
    filters = reports.filters_from_json(export.filters)
    started = context.clock()
    rows_total = count_rows(dbsession, export.scope, filters, tz=client.timezone)
    progress = progress_reporter(dbsession, context, export.id)
    progress(0, state="running", started_at=started, rows_total=rows_total)

    directory = export_directory(context.settings)
    path = directory / f"export-{export.id}.xlsx"
    partial = directory / f"export-{export.id}.xlsx.part"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_workbook(str(partial), dbsession, client=client, scope=export.scope, filters=filters,
                       translate=job_translator(context.registry, export.locale), progress=progress,
                       batch=setting(context.settings, "portal.export_progress_rows", DEFAULT_PROGRESS_ROWS))
        os.replace(partial, path)
    except OSError as error:  # the disk, not the data: retrying would fail the same way
        log.exception("export %s could not be written", export.id)
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        dbsession.refresh(export)
        export.state, export.error, export.finished_at = "failed", str(error)[:500], context.clock()
        return "failed"
    dbsession.refresh(export)
    export.state, export.file_path, export.finished_at = "done", str(path), context.clock()
    export.started_at, export.rows_total, export.rows_done = started, rows_total, rows_total
    return "done"


def progress_reporter(dbsession, context, export_id):
    """``progress(rows_done)``: committed at once in a session of its own, so that the status page
    sees it while the job runs; on SQLite, in the job's transaction (see ``build_export``)."""
    separate = dbsession.get_bind().dialect.name != "sqlite"

    def progress(rows_done, **values):
        statement = update(Export).where(Export.id == export_id).values(rows_done=rows_done, **values)
        if not separate:
            dbsession.execute(statement, execution_options={"synchronize_session": False})
            return
        with context.session_factory() as session:
            session.execute(statement)
            session.commit()

    return progress


def remove_old_exports(dbsession, context):
    """The periodic task: files and rows of exports older than ``portal.export_keep_hours``."""
    keep = timedelta(hours=setting(context.settings, "portal.export_keep_hours", DEFAULT_KEEP_HOURS))
    old = dbsession.execute(select(Export).where(Export.created_at < context.clock() - keep)).scalars().all()
    for export in old:
        for path in (export.file_path, f"{export.file_path}.part" if export.file_path else None):
            if path:
                Path(path).unlink(missing_ok=True)
        dbsession.delete(export)
    return len(old)
