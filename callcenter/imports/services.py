"""Rule 15: import a client's history from a previous system, all rows or none.

Imported rows skip the insertion cutoff and the schedule and unavailability
checks (they are history, or were agreed elsewhere); the quota and the agent's
calendar still hold. The first bad row stops the import with its row number
and field, and the request's transaction writes nothing of the file.
"""
from datetime import date, datetime
from zipfile import BadZipFile, ZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from agents.services import agent_by_slug
from callcenter.booking.services import (check_agent_of_campaign, flush_refusing_overlaps, lock_agent_calendar,
                                next_appointment_number, prospect_details, zone_for)
from callcenter.booking.holds import refuse_if_booked
from callcenter.appointments.counters import count_new
from callcenter.appointments.models import ACTIVE_STATES, Appointment
from callcenter.appointments.rules import appointment_span, as_utc, local_to_utc
from callcenter.booking.schemas import ImportRow
from campaigns.alerts import request_alerts
from campaigns.fields import validate_fields
from campaigns.services import change_counters, take_place
from portal.api.plumbing import deserialize
from portal.errors import RuleViolation
from portal.history import record
from portal.i18n import _

MAX_ROWS = 5000  # portal.import_max_rows
# portal.import_max_unzipped_bytes: what an .xlsx may decompress to. A 10 MB upload can inflate to
# gigabytes (a zip bomb); the members' declared sizes are checked before anything is decompressed,
# and Python's zipfile never yields more than a member declares.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")


def import_limits(settings):
    """(rows, unzipped bytes) allowed per import, from the ini."""
    return (int(settings.get("portal.import_max_rows") or MAX_ROWS),
            int(settings.get("portal.import_max_unzipped_bytes") or MAX_UNZIPPED_BYTES))
# Spreadsheet headers, Italian or English, and the booking body's field each one fills.
COLUMNS = {
    "agent": ("agente", "agent"),
    "start": ("inizio", "start"),
    "state": ("stato", "state"),
    "name": ("nome", "name"),
    "phone": ("telefono", "phone"),
    "postal_code": ("cap", "postal code", "postal_code"),
    # Optional: after the required ones, so that older model files keep their first columns.
    "company": ("azienda", "company", "ragione sociale"),
    "address": ("indirizzo", "address"),
    "province": ("provincia", "province"),
    "notes": ("note", "notes"),
}
REQUIRED_COLUMNS = ("agent", "start", "state", "name", "phone", "postal_code")
STATE_WORDS = {
    "to_confirm": ("to_confirm", "da confermare", "to confirm"),
    "confirmed": ("confirmed", "confermato", "confermata"),
    "cancelled": ("cancelled", "annullato", "annullata", "canceled"),
}
PROSPECT_KEYS = ("name", "company", "phone", "address", "postal_code", "province")


def import_appointments(dbsession, *, campaign, rows, imported_by, now, row_numbers=None):
    """Write every row as an appointment of ``campaign``, or raise the first refusal naming its row.

    ``rows`` are validated booking bodies plus ``state``; ``row_numbers`` are the numbers shown
    to the user (the spreadsheet's rows), by default 1, 2, 3...
    """
    row_numbers = row_numbers or range(1, len(rows) + 1)
    taken_before = campaign.taken
    appointments = []
    for index, (row, number) in enumerate(zip(rows, row_numbers)):
        try:
            appointments.append(import_row(dbsession, campaign, row, imported_by=imported_by, now=now))
        except RuleViolation as violation:
            raise at_row(violation, number, row_field(index, violation.field)) from violation
    request_alerts(dbsession, campaign, taken_before, campaign.taken, campaign.purchased, now)
    return appointments


def validated_rows(rows, max_rows=MAX_ROWS):
    """The API's rows, each checked like a booking body: the first error names its row."""
    if not isinstance(rows, list) or not 1 <= len(rows) <= max_rows:
        raise too_many_rows(max_rows) if isinstance(rows, list) and rows else RuleViolation(
            "validation_error", _("import_rows_expected", default="A list of rows is expected."), "rows")
    result = []
    for index, row in enumerate(rows):
        try:
            if not isinstance(row, dict):
                raise RuleViolation("validation_error", _("json_object_expected",
                                                          default="The body must be a JSON object."))
            result.append(deserialize(ImportRow(), row))
        except RuleViolation as violation:
            raise at_row(violation, index + 1, row_field(index, violation.field)) from violation
    return result


def row_field(index, field):
    return f"rows.{index}" + (f".{field}" if field else "")


def import_row(dbsession, campaign, row, *, imported_by, now):
    agent = agent_by_slug(dbsession, campaign.client, row["agent"])
    check_agent_of_campaign(agent, campaign)
    start, end, busy_until = appointment_span(row["start"], campaign.appointment_minutes, campaign.buffer_minutes)
    values = validate_fields(campaign, row["fields"])
    state = row["state"]
    if state in ACTIVE_STATES:
        take_place(dbsession, campaign)  # rule 7 holds for history too
        if state == "confirmed":
            change_counters(dbsession, campaign.id, to_confirm=-1)
        lock_agent_calendar(dbsession, agent.id)
        refuse_if_booked(dbsession, agent.id, start, busy_until)
    else:  # a cancelled appointment of the old system: counted, holds no place and no slot
        change_counters(dbsession, campaign.id, cancelled=1)
    prospect = row["prospect"]
    appointment = Appointment(
        client_id=campaign.client_id, number=next_appointment_number(dbsession, campaign.client_id),
        campaign_id=campaign.id, agent_id=agent.id, zone_id=zone_for(agent, prospect),
        start_at=start, end_at=end, busy_until=busy_until, state=state,
        prospect_name=prospect["name"], prospect_phone=prospect["phone"],
        prospect_postal_code=prospect["postal_code"], **prospect_details(prospect),
        notes=row["notes"] or "", fields=values,
        cancelled_at=now if state == "cancelled" else None, booked_by_id=None,
        # The old system's booking day is unknown: a past meeting was booked by its day at the latest,
        # so the burn rate of the dashboard sees history where it happened, not all of it today.
        created_at=min(start, as_utc(now)),
    )
    dbsession.add(appointment)
    flush_refusing_overlaps(dbsession)
    count_new(dbsession, agent.id, appointment.zone_id, state)
    record(dbsession, client_id=campaign.client_id, subject="appointment", action="imported",
           after={"state": state, "start": start.isoformat(), "agent": agent.slug},
           actor=imported_by, at=now, appointment=appointment)
    return appointment


def at_row(violation, row, field, column=None):
    """The same refusal, its message prefixed with the row (and the column the user knows)."""
    if column:
        message = _("import_cell_error", default="Row ${row}, column \"${column}\": ${message}",
                    mapping={"row": row, "column": column, "message": violation.message})
    else:
        message = _("import_row_error", default="Row ${row}: ${message}",
                    mapping={"row": row, "message": violation.message})
    return RuleViolation(violation.code, message, field)


# --- The spreadsheet -----------------------------------------------------------------------


def rows_from_xlsx(stream, campaign, max_rows=MAX_ROWS, max_unzipped_bytes=MAX_UNZIPPED_BYTES):
    """(rows, row numbers) of an .xlsx file: a header row, then one appointment a row.

    Times without an offset are the client's wall-clock time; a time the clocks skip is refused.
    The rows are read one at a time (openpyxl's read-only mode) and refused past ``max_rows``.
    """
    check_xlsx_archive(stream, max_unzipped_bytes)
    sheet = open_sheet(stream)
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None)
    if header is None:
        raise RuleViolation("validation_error", _("import_empty", default="The file has no rows."), "file")
    columns = read_header(header, campaign)
    rows, numbers = [], []
    for number, values in enumerate(lines, start=2):
        if all(value in (None, "") for value in values):
            continue
        if len(rows) == max_rows:
            raise too_many_rows(max_rows)
        rows.append(row_from_cells(columns, values, number, len(rows), campaign.client.timezone))
        numbers.append(number)
    if not rows:
        raise RuleViolation("validation_error", _("import_empty", default="The file has no rows."), "file")
    return rows, numbers


def not_xlsx():
    return RuleViolation("validation_error", _("import_not_xlsx", default="This is not an Excel (.xlsx) file."), "file")


def check_xlsx_archive(stream, max_unzipped_bytes):
    """Refuse what is no .xlsx, or one that would decompress past the limit, before reading a cell."""
    try:
        with ZipFile(stream) as archive:
            members = archive.infolist()
    except (BadZipFile, OSError, ValueError, EOFError):
        raise not_xlsx()
    finally:
        stream.seek(0)
    names = {member.filename for member in members}
    if not all(name in names for name in XLSX_MEMBERS):
        raise not_xlsx()
    if sum(member.file_size for member in members) > max_unzipped_bytes:
        raise RuleViolation("payload_too_large", _("import_unzipped_too_large", default="The file decompresses to "
                                                   "more than ${megabytes} MB: split it into smaller files.",
                                                   mapping={"megabytes": max_unzipped_bytes // (1024 * 1024)}),
                            "file")


def open_sheet(stream):
    try:
        sheet = load_workbook(stream, read_only=True, data_only=True).worksheets[0]
        # The sheet's declared size may be A1:XFD1048576: rows would be padded to 16,384 cells.
        sheet.reset_dimensions()
        return sheet
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, IndexError):
        raise not_xlsx()


def read_header(header, campaign):
    """[(position, kind, key, title)]: kind is "column" (a built-in) or "field" (a campaign field)."""
    known = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    fields = {}
    for field in campaign.fields:
        fields[field.name.lower()] = field.name
        fields[field.label.strip().lower()] = field.name
    columns, seen = [], set()
    for index, title in enumerate(header):
        text = str(title or "").strip()
        if not text:
            continue
        word = text.lower()
        if word in known:
            kind, key = "column", known[word]
        elif word in fields:
            kind, key = "field", fields[word]
        else:
            raise RuleViolation("validation_error", _("import_unknown_column", default="Unknown column \"${column}\".",
                                                      mapping={"column": text}), "file")
        if key in seen:
            raise RuleViolation("validation_error", _("import_duplicate_column", default="Column \"${column}\" "
                                                      "appears twice.", mapping={"column": text}), "file")
        seen.add(key)
        columns.append((index, kind, key, text))
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise RuleViolation("validation_error", _("import_missing_column", default="Column \"${column}\" is missing.",
                                                  mapping={"column": COLUMNS[missing[0]][0]}), "file")
    return columns


def row_from_cells(columns, values, number, index, tz):
    """One spreadsheet row as a validated import row; a bad cell names its row and column."""
    body = {"prospect": {}, "fields": {}}
    titles = {}
    for position, kind, key, title in columns:
        value = values[position] if position < len(values) else None
        if kind == "field":
            titles[f"fields.{key}"] = title
            if value not in (None, ""):
                body["fields"][key] = cell_json(value)
            continue
        target = body["prospect"] if key in PROSPECT_KEYS else body
        titles[f"prospect.{key}" if key in PROSPECT_KEYS else key] = title
        try:
            converted = cell_value(key, value, tz)
        except RuleViolation as violation:
            raise at_row(violation, number, row_field(index, key), title) from violation
        if converted is not None:
            target[key] = converted
    try:
        return deserialize(ImportRow(), body)
    except RuleViolation as violation:
        column = titles.get(violation.field)
        raise at_row(violation, number, row_field(index, violation.field), column) from violation


def cell_value(key, value, tz):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if key == "start":
        return start_text(value, tz)
    if key == "state":
        return state_code(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or postal code typed as a number
    return str(value).strip()


def start_text(value, tz):
    """The start as ISO 8601 with an offset: a naive cell is the client's local time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RuleViolation("validation_error", _("bad_datetime", default="A date and time in ISO 8601 with an "
                                                      "offset."), "start")
    if not isinstance(value, datetime):
        raise RuleViolation("validation_error", _("import_bad_start", default="A date and time is expected."),
                            "start")
    if value.tzinfo is None:
        value = local_to_utc(value, tz)
    return value.isoformat()


def state_code(value):
    word = str(value).strip().lower()
    for code, words in STATE_WORDS.items():
        if word in words:
            return code
    raise RuleViolation("validation_error", _("import_bad_state", default="The state must be to confirm, confirmed "
                                              "or cancelled."), "state")


def cell_json(value):
    """A campaign field's cell in the shape the booking body uses (dates as ISO text)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        word = value.strip().lower()
        return {"sì": True, "si": True, "yes": True, "no": False}.get(word, value.strip())
    return value


def too_many_rows(max_rows=MAX_ROWS):
    return RuleViolation("validation_error", _("import_too_many_rows", default="At most ${count} rows per import.",
                                               mapping={"count": max_rows}), "rows")


def template_workbook(campaign):
    """An empty spreadsheet with the expected headers, Italian first."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Appuntamenti"
    sheet.append([COLUMNS[key][0].upper() if key == "postal_code" else COLUMNS[key][0].capitalize() for key in COLUMNS]
                 + [field.label for field in campaign.fields])
    sheet.freeze_panes = "A2"
    for letter in "ABCDEFGHIJ":
        sheet.column_dimensions[letter].width = 18
    return workbook
