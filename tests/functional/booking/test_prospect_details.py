"""The prospect's company, address and province (spec §2) wherever the prospect appears: the booking
API and wizard, the appointment's JSON and page, postponement, Excel export and import, the agent's
mails and the calendar feed."""
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from callcenter.booking.services import book_appointment
from callcenter.demo import load_demo_data
from callcenter.lifecycle.services import postpone
from callcenter.appointments.models import Appointment
from portal.jobs.outbox import run_task
from tests.conftest import NOW
from tests.factories import Tenant
from tests.functional.conftest import login
from tests.functional.feeds.test_calendar_feed import EVERY_DAY_9_TO_18, events_of, fetch, subscribe
from tests.functional.booking.test_wizard import THURSDAY_10, fill_prospect, hold
from tests.jobs.test_daily_work import body, sent
from tests.portal.jobs.test_outbox import mails

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc
DETAILS = {"company": "Bar Centrale S.n.c.", "address": "Via Roma 1, Milano", "province": "mi"}
PROSPECT = {"name": "Giovanni Galli", "phone": "+39 02 1234567", "postal_code": "20121"}
THURSDAY_10_UTC = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def appointments_url(tenant):
    return f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"


def booked(dbsession, tenant, start=THURSDAY_10_UTC, **details):
    appointment = book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=start,
                                   prospect={**PROSPECT, **details}, booked_by=tenant.operator, now=NOW)
    dbsession.flush()
    return appointment


def count(dbsession):
    dbsession.expire_all()
    return dbsession.execute(select(func.count()).select_from(Appointment)).scalar_one()


# --- The API --------------------------------------------------------------------------------------


def test_the_api_books_and_answers_the_company_address_and_province(testapp, api, dbsession, tenant):
    client = api(tenant.operator)
    body = {"agent": tenant.agent.slug, "start": THURSDAY_10, "prospect": {**PROSPECT, **DETAILS}}
    answer = client.post(appointments_url(tenant)[len("/api/v1"):], body).json
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert (appointment.prospect_company, appointment.prospect_address, appointment.prospect_province) == (
        "Bar Centrale S.n.c.", "Via Roma 1, Milano", "MI")
    shown = client.get(f"/clients/{tenant.client.slug}/appointments/{answer['number']}", status=200).json
    assert shown["prospect"] == {**PROSPECT, "company": "Bar Centrale S.n.c.", "address": "Via Roma 1, Milano",
                                 "province": "MI"}
    found = client.get(f"/clients/{tenant.client.slug}/appointments", status=200, q="centrale").json
    assert [item["number"] for item in found["items"]] == [answer["number"]]  # the search knows the company


def test_without_them_the_prospect_answers_null(api, dbsession, tenant):
    client = api(tenant.operator)
    body = {"agent": tenant.agent.slug, "start": THURSDAY_10, "prospect": dict(PROSPECT)}
    answer = client.post(appointments_url(tenant)[len("/api/v1"):], body).json
    assert answer["prospect"] == {**PROSPECT, "company": None, "address": None, "province": None}


@pytest.mark.parametrize("prospect, field", [
    ({"address": "x" * 301}, "prospect.address"),
    ({"company": "x" * 201}, "prospect.company"),
    ({"province": "Milano"}, "prospect.province"),
    ({"email": "someone@example.test"}, "prospect.email"),
])
def test_a_bad_detail_is_refused_and_nothing_is_written(api, dbsession, tenant, prospect, field):
    client = api(tenant.operator)
    body = {"agent": tenant.agent.slug, "start": THURSDAY_10, "prospect": {**PROSPECT, **prospect}}
    error = client.post(appointments_url(tenant)[len("/api/v1"):], body, status=400).json["error"]
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert count(dbsession) == 0


def test_postponing_keeps_the_prospect(dbsession, tenant):
    appointment = booked(dbsession, tenant, **DETAILS)
    postpone(dbsession, appointment, start=datetime(2026, 11, 27, 11, 0, tzinfo=ROME), actor=tenant.operator,
             now=NOW)
    dbsession.flush()
    dbsession.expire_all()
    assert (appointment.start_at.astimezone(ROME).day, appointment.prospect_company, appointment.prospect_address,
            appointment.prospect_province) == (27, "Bar Centrale S.n.c.", "Via Roma 1, Milano", "MI")


# --- The wizard and the appointment's page ---------------------------------------------------------


def test_the_wizard_asks_them_and_the_appointment_page_shows_them(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant).follow()
    labels = {label.get("for"): label.text.strip() for label in step3.html.select("#deform label")}
    inputs = {name: step3.html.select_one(f'#deform [name="{name}"]')["id"]
              for name in ("prospect_company", "prospect_address", "prospect_province")}
    assert [labels[inputs[name]].split()[0] for name in inputs] == ["Azienda", "Indirizzo", "Provincia"]
    form = fill_prospect(step3, prospect_name="Giovanni Galli", prospect_company="Bar Centrale S.n.c.",
                         prospect_address="Via Roma 1, Milano", prospect_province="mi")
    page = form.submit(status=302).follow()
    assert page.html.select_one("#prospect-company").text == "Bar Centrale S.n.c."
    assert page.html.select_one("#prospect-address").text == "Via Roma 1, Milano"
    assert page.html.select_one("#prospect-postal-code").text == "20121 (MI)"


def test_the_wizard_refuses_a_bad_province_next_to_the_field(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant).follow()
    refused = fill_prospect(step3, prospect_province="Milano").submit(status=400)
    assert refused.html.select_one("#deform .item-prospect_province .invalid-feedback") is not None
    assert count(dbsession) == 0


def test_the_wizard_speaks_english_too(testapp, tenant):
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant).follow()
    english = testapp.get(step3.request.url, params={"_LOCALE_": "en"})
    labels = [label.text.strip() for label in english.html.select("#deform label")]
    assert any(label.startswith("Company") for label in labels)
    assert any(label.startswith("Address") for label in labels)


# --- Excel export and import ---------------------------------------------------------------------------


def test_the_export_has_the_company_address_and_province(testapp, dbsession, tenant):
    booked(dbsession, tenant, **DETAILS)
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/totals")
    workbook = load_workbook(io.BytesIO(page.forms["export-form"].submit().body))
    header, row = list(workbook.worksheets[0].iter_rows(values_only=True))[:2]
    values = dict(zip(header, row))
    assert (values["Azienda"], values["Indirizzo"], values["Provincia"]) == (
        "Bar Centrale S.n.c.", "Via Roma 1, Milano", "MI")


def test_the_import_takes_the_optional_columns_from_the_model_file(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments/import")
    template = page.click(linkid="import-template")
    header = [cell.value for cell in next(load_workbook(io.BytesIO(template.body)).active.iter_rows(max_row=1))]
    assert header[:6] == ["Agente", "Inizio", "Stato", "Nome", "Telefono", "CAP"]
    assert {"Azienda", "Indirizzo", "Provincia"} <= set(header)
    workbook = Workbook()
    workbook.active.append(header)
    cells = {"Agente": tenant.agent.slug, "Inizio": datetime(2026, 10, 5, 10), "Stato": "confermato",
             "Nome": "Giovanni Galli", "Telefono": "+39 02 111111", "CAP": "20121", "Azienda": "Bar Centrale",
             "Indirizzo": "Via Roma 1, Milano", "Provincia": "mi"}
    workbook.active.append([cells.get(title) for title in header])
    stream = io.BytesIO()
    workbook.save(stream)
    form = page.forms["import-form"]
    form["file"] = ("storico.xlsx", stream.getvalue())
    form.submit().follow()
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert (appointment.prospect_company, appointment.prospect_address, appointment.prospect_province) == (
        "Bar Centrale", "Via Roma 1, Milano", "MI")


def test_the_json_import_takes_them_too(testapp, api, dbsession, tenant):
    client = api(tenant.account_manager)
    rows = [{"agent": tenant.agent.slug, "start": "2026-10-05T10:00:00+02:00", "state": "confirmed",
             "prospect": {**PROSPECT, **DETAILS}}]
    client.post(appointments_url(tenant)[len("/api/v1"):] + "/import", {"rows": rows})
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert (appointment.prospect_company, appointment.prospect_province) == ("Bar Centrale S.n.c.", "MI")


# --- The agent's mails and calendar -------------------------------------------------------------------


def test_the_agenda_gives_the_prospects_address_else_the_campaign_field(app, dbsession, clock, tenant):
    tenant.agent.email = "rossi@example.test"
    booked(dbsession, tenant, **DETAILS)
    other = booked(dbsession, tenant, start=datetime(2026, 11, 26, 14, 0, tzinfo=ROME))
    other.fields = {"address": "Piazza Duomo 2"}  # a campaign that asked for the address as its own field
    dbsession.flush()
    before = len(mails(app))
    clock.now = datetime(2026, 11, 26, 7, 2, tzinfo=ROME)
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 1
    [message] = sent(app, before)
    text = body(message)
    assert "Giovanni Galli (Bar Centrale S.n.c.)" in text
    assert "Via Roma 1, Milano, 20121 MI" in text
    assert "Piazza Duomo 2, 20121 ·" in text


def test_the_calendar_feed_locates_the_meeting_at_the_address(app, testapp, dbsession):
    from agents.services import replace_schedule

    tenant = Tenant(dbsession, purchased=5)
    replace_schedule(tenant.agent, EVERY_DAY_9_TO_18)
    booked(dbsession, tenant, **DETAILS)
    url = subscribe(testapp, tenant.agent_user, f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/")
    _calendar, events = events_of(fetch(app, url))
    [event] = events.values()
    assert str(event["LOCATION"]) == "Via Roma 1, Milano, 20121 MI"
    assert "Bar Centrale S.n.c." in str(event["DESCRIPTION"])


def test_the_demo_prospects_have_a_company_and_an_address(dbsession):
    assert load_demo_data(dbsession, now=NOW)
    missing = dbsession.execute(select(func.count()).select_from(Appointment).where(
        (Appointment.prospect_company.is_(None)) | (Appointment.prospect_address.is_(None))
        | (Appointment.prospect_province.is_(None)))).scalar_one()
    assert missing == 0
