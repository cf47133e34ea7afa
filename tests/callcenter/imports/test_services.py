"""Rule 15: importing a client's history, all rows or none (service and spreadsheet)."""
from datetime import datetime, timezone
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from callcenter.imports.services import import_appointments, rows_from_xlsx, validated_rows
from callcenter.appointments.models import Appointment
from campaigns.services import add_campaign_field
from portal.errors import RuleViolation
from portal.history import Change
from tests.conftest import NOW
from tests.factories import Tenant

PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
HEADER = ["Agente", "Inizio", "Stato", "Nome", "Telefono", "CAP", "Note"]


def row(tenant, start, state="to_confirm", **kw):
    return {"agent": kw.pop("agent", tenant.agent.slug), "start": start, "state": state, "prospect": dict(PROSPECT),
            "notes": "", "fields": kw.pop("fields", {})}


def run(dbsession, tenant, rows, **kw):
    return import_appointments(dbsession, campaign=tenant.campaign, rows=rows, imported_by=tenant.account_manager,
                               now=NOW, **kw)


def count_appointments(dbsession, tenant):
    return dbsession.execute(select(func.count()).select_from(Appointment)
                             .where(Appointment.client_id == tenant.client.id)).scalar_one()


def test_history_skips_cutoff_and_schedule_and_keeps_the_counters_true(dbsession):
    tenant = Tenant(dbsession, purchased=10)
    past_sunday = datetime(2026, 3, 1, 21, 0, tzinfo=timezone.utc)  # a Sunday night, months ago
    tomorrow = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # within the 36 hours
    imported = run(dbsession, tenant, [row(tenant, past_sunday, "confirmed"), row(tenant, tomorrow),
                                       row(tenant, tomorrow, "cancelled")])
    assert [a.number for a in imported] == [1, 2, 3]
    assert [a.state for a in imported] == ["confirmed", "to_confirm", "cancelled"]
    dbsession.refresh(tenant.campaign)
    campaign = tenant.campaign
    assert (campaign.taken, campaign.to_confirm, campaign.cancelled) == (2, 1, 1)
    actions = dbsession.execute(select(Change.action).where(Change.client_id == tenant.client.id,
                                                            Change.subject == "appointment")).scalars().all()
    assert actions == ["imported"] * 3


def test_the_quota_still_holds_and_names_the_row(dbsession):
    tenant = Tenant(dbsession, purchased=2)
    starts = [datetime(2026, 10, day, 9, 0, tzinfo=timezone.utc) for day in (5, 6, 7)]
    with pytest.raises(RuleViolation) as refused:
        run(dbsession, tenant, [row(tenant, start) for start in starts])
    assert refused.value.code == "quota_exhausted"
    assert refused.value.field == "rows.2.campaign"
    assert "${row}" in refused.value.message.default and refused.value.message.mapping["row"] == 3


def test_cancelled_rows_take_no_place(dbsession):
    tenant = Tenant(dbsession, purchased=1)
    starts = [datetime(2026, 10, day, 9, 0, tzinfo=timezone.utc) for day in (5, 6, 7)]
    run(dbsession, tenant, [row(tenant, starts[0], "cancelled"), row(tenant, starts[1]),
                            row(tenant, starts[2], "cancelled")])
    dbsession.refresh(tenant.campaign)
    assert (tenant.campaign.taken, tenant.campaign.cancelled) == (1, 2)


def test_no_double_booking_inside_the_file_nor_against_the_calendar(dbsession):
    tenant = Tenant(dbsession)
    start = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)
    overlapping = datetime(2026, 10, 5, 10, 15, tzinfo=timezone.utc)  # 60 min + 30 min buffer not yet over
    with pytest.raises(RuleViolation) as refused:
        run(dbsession, tenant, [row(tenant, start), row(tenant, overlapping, "confirmed")])
    assert (refused.value.code, refused.value.field) == ("slot_taken", "rows.1.start")
    # a cancelled appointment holds no slot (another day: the refused run's rows are still in this session)
    later = {moment: moment.replace(day=12) for moment in (start, overlapping)}
    run(dbsession, tenant, [row(tenant, later[start]), row(tenant, later[overlapping], "cancelled")])


def test_a_wrong_agent_or_field_names_its_row(dbsession):
    tenant = Tenant(dbsession)
    start = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)
    with pytest.raises(RuleViolation) as refused:
        run(dbsession, tenant, [row(tenant, start, agent="nobody")])
    assert (refused.value.code, refused.value.field) == ("validation_error", "rows.0.agent")
    add_campaign_field(dbsession, tenant.campaign, name="sqm", label="Square metres", kind="number", required=True)
    with pytest.raises(RuleViolation) as refused:
        run(dbsession, tenant, [row(tenant, start, fields={"sqm": "big"})])
    assert refused.value.field == "rows.0.fields.sqm"


def test_api_rows_are_checked_like_booking_bodies():
    with pytest.raises(RuleViolation) as refused:
        validated_rows([{"agent": "a", "start": "2026-10-05T09:00:00", "state": "confirmed", "prospect": PROSPECT}])
    assert (refused.value.code, refused.value.field) == ("validation_error", "rows.0.start")
    with pytest.raises(RuleViolation) as refused:
        validated_rows([{"agent": "a", "start": "2026-10-05T09:00:00+02:00", "state": "lost", "prospect": PROSPECT}])
    assert refused.value.field == "rows.0.state"
    for wrong in ([], "rows", None, [3]):
        with pytest.raises(RuleViolation):
            validated_rows(wrong)


# --- The spreadsheet --------------------------------------------------------------------------


def xlsx(*lines):
    workbook = Workbook()
    for line in lines:
        workbook.active.append(line)
    stream = BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


def test_spreadsheet_times_are_the_clients_wall_clock_across_dst(dbsession):
    tenant = Tenant(dbsession)
    rows, numbers = rows_from_xlsx(xlsx(
        HEADER,
        [tenant.agent.slug, datetime(2026, 10, 24, 10, 0), "confermato", "Bar Uno", "+39 02 1111111", 20121, ""],
        [],  # blank lines are skipped
        [tenant.agent.slug, datetime(2026, 10, 26, 10, 0), "Da confermare", "Bar Due", "+39 02 2222222", "20121", "x"],
    ), tenant.campaign)
    assert numbers == [2, 4]
    # 10:00 in Rome is 08:00 UTC in summer time (24 Oct) and 09:00 UTC after the change (26 Oct)
    assert [r["start"].astimezone(timezone.utc).hour for r in rows] == [8, 9]
    assert [r["state"] for r in rows] == ["confirmed", "to_confirm"]
    assert rows[0]["prospect"]["postal_code"] == "20121"  # typed as a number in the cell


def test_a_time_the_clocks_skip_is_refused_with_row_and_column(dbsession):
    tenant = Tenant(dbsession)
    with pytest.raises(RuleViolation) as refused:
        rows_from_xlsx(xlsx(HEADER, [tenant.agent.slug, datetime(2027, 3, 28, 2, 30), "confermato", "Bar",
                                     "+39 02 1111111", "20121", ""]), tenant.campaign)
    assert refused.value.field == "rows.0.start"
    assert refused.value.message.mapping["row"] == 2 and refused.value.message.mapping["column"] == "Inizio"


@pytest.mark.parametrize("header, expected", [
    (["Agente", "Inizio", "Stato", "Nome", "Telefono"], "import_missing_column"),
    (HEADER + ["Colore"], "import_unknown_column"),
    (HEADER + ["agent"], "import_duplicate_column"),
])
def test_a_wrong_header_is_refused(dbsession, header, expected):
    tenant = Tenant(dbsession)
    with pytest.raises(RuleViolation) as refused:
        rows_from_xlsx(xlsx(header, ["a"] * len(header)), tenant.campaign)
    assert str(refused.value.message) == expected


def test_a_file_that_is_not_xlsx_is_refused(dbsession):
    tenant = Tenant(dbsession)
    with pytest.raises(RuleViolation) as refused:
        rows_from_xlsx(BytesIO(b"nome;telefono\n"), tenant.campaign)
    assert str(refused.value.message) == "import_not_xlsx"
    with pytest.raises(RuleViolation) as refused:
        rows_from_xlsx(xlsx(HEADER), tenant.campaign)
    assert str(refused.value.message) == "import_empty"


def test_campaign_fields_are_columns_by_label(dbsession):
    tenant = Tenant(dbsession)
    add_campaign_field(dbsession, tenant.campaign, name="sqm", label="Metri quadri", kind="number")
    add_campaign_field(dbsession, tenant.campaign, name="owner", label="Proprietario", kind="yes_no")
    rows, _ = rows_from_xlsx(xlsx(HEADER + ["Metri quadri", "owner"],
                                  [tenant.agent.slug, datetime(2026, 10, 5, 10, 0), "confermato", "Bar",
                                   "+39 02 1111111", "20121", "", 120, "sì"]), tenant.campaign)
    imported = run(dbsession, tenant, rows)
    assert imported[0].fields == {"sqm": 120, "owner": True}
