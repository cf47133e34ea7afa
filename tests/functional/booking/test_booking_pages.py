"""The operators' workspace, booking through the wizard and the folder pages (spec §4, §5 rules 1, 7, 8, 9)."""
from datetime import datetime, timedelta, timezone

import pytest
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import func, select

from callcenter.appointments.models import Appointment
from callcenter.booking.models import Hold
from callcenter.appointments.rules import _NONEXISTENT_TIME
from callcenter.booking.services import book_appointment
from campaigns.services import change_counters
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import Tenant, make_campaign
from tests.functional.conftest import login
from tests.helpers import appointment_count, field_error, form_error

THURSDAY_10 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday 26 November, 10:00 in Rome
CUTOFF_MESSAGE = RuleViolation("insertion_cutoff", mapping={"hours": 36}).message
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def book(dbsession, tenant, start=THURSDAY_10, agent=None, campaign=None, postal_code="20121", now=NOW):
    """An appointment booked through the service, as an earlier booking would have left it."""
    return book_appointment(dbsession, campaign=campaign or tenant.campaign, agent=agent or tenant.agent,
                            start=start, prospect=dict(PROSPECT, postal_code=postal_code),
                            booked_by=tenant.operator, now=now)


def book_url(tenant, campaign=None):
    return f"/clients/{tenant.client.slug}/campaigns/{(campaign or tenant.campaign).slug}/book"


def hold_slot(testapp, tenant, campaign=None, agent=None, start="2026-11-26T10:00:00+01:00", postal_code="20121",
              status=302):
    """Step 2 of the wizard: what a slot button of the week grid posts (``agent`` may be a crafted slug)."""
    agent = tenant.agent if agent is None else agent
    page = testapp.get(book_url(tenant, campaign), params={"postal_code": postal_code})
    token = page.html.select_one("input[name=csrf_token]")["value"]
    body = {"csrf_token": token, "agent": agent if isinstance(agent, str) else agent.slug, "start": start,
            "postal_code": postal_code}
    return testapp.post(book_url(tenant, campaign), body, status=status)


def submit_booking(testapp, tenant, campaign=None, status=None, agent=None, start="2026-11-26T10:00:00+01:00",
                   postal_code="20121", **fields):
    """The whole wizard: hold the slot, then fill in and submit the prospect's form (step 3)."""
    step3 = hold_slot(testapp, tenant, campaign, agent, start, postal_code).follow()
    form = step3.forms["deform"]
    values = {"prospect_name": "Bar Centrale", "prospect_phone": "+39 02 1234567"}
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    return form.submit(status=status)


def grid_error(page):
    alert = page.html.select_one("#wizard-error")
    return alert.text.strip() if alert is not None else None


def hold_count(dbsession):
    return dbsession.execute(select(func.count()).select_from(Hold)).scalar_one()


def counters(dbsession, campaign):
    dbsession.refresh(campaign)
    return {"taken": campaign.taken, "to_confirm": campaign.to_confirm, "purchased": campaign.purchased}


def shown_count(page, name):
    return int(page.html.select_one(f'[data-count="{name}"]').text)


def listed_numbers(page):
    """Appointment numbers of a folder's table, top to bottom."""
    return [int(link.text) for link in page.html.select("table tbody tr td:first-child a")]


def translated(app, message):
    """A message as the app shows it to an Italian browser."""
    localizer = make_localizer("it", app.registry.queryUtility(ITranslationDirectories) or [])
    return localizer.translate(message)


# --- The operators' workspace --------------------------------------------------------------------


def workspace_rows(page):
    rows = {}
    for row in page.html.select("tr[data-campaign]"):
        cells = [cell.text.strip() for cell in row.select("td")]
        rows[row["data-campaign"]] = {"purchased": int(cells[2]), "taken": int(cells[3]), "remaining": int(cells[4])}
    return rows


def test_workspace_lists_open_campaigns_with_purchased_taken_remaining(testapp, dbsession, tenant):
    for hours in (0, 2, 4):
        book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=hours))
    login(testapp, tenant.operator)
    rows = workspace_rows(testapp.get("/callcenter/"))
    assert rows[f"{tenant.client.slug}/{tenant.campaign.slug}"] == {"purchased": 10, "taken": 3, "remaining": 7}


def test_workspace_leaves_out_a_campaign_whose_quota_is_used_up(testapp, dbsession, tenant):
    full = make_campaign(dbsession, tenant.client, purchased=1)
    never_bought = make_campaign(dbsession, tenant.client, purchased=0)
    book(dbsession, tenant, campaign=full)
    login(testapp, tenant.operator)
    rows = workspace_rows(testapp.get("/callcenter/"))
    assert f"{tenant.client.slug}/{tenant.campaign.slug}" in rows
    assert f"{tenant.client.slug}/{full.slug}" not in rows
    assert f"{tenant.client.slug}/{never_bought.slug}" not in rows


def test_booking_the_last_place_takes_the_campaign_off_the_workspace(testapp, dbsession, tenant):
    last_place = make_campaign(dbsession, tenant.client, purchased=1)
    login(testapp, tenant.operator)
    key = f"{tenant.client.slug}/{last_place.slug}"
    assert key in workspace_rows(testapp.get("/callcenter/"))
    submit_booking(testapp, tenant, campaign=last_place, status=302)
    assert key not in workspace_rows(testapp.get("/callcenter/"))


def test_account_manager_workspace_shows_only_the_portfolio(testapp, dbsession, tenant):
    other = Tenant(dbsession)
    login(testapp, tenant.account_manager)
    rows = workspace_rows(testapp.get("/callcenter/"))
    assert f"{tenant.client.slug}/{tenant.campaign.slug}" in rows
    assert f"{other.client.slug}/{other.campaign.slug}" not in rows


# --- The wizard: success ----------------------------------------------------------------------------


def test_booking_redirects_to_the_new_appointment_and_moves_the_counters(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    response = submit_booking(testapp, tenant, status=302)
    assert response.location.rstrip("/") == f"http://localhost/clients/{tenant.client.slug}/appointments/1"
    page = response.follow(status=200)
    assert "Bar Centrale" in page.text
    assert counters(dbsession, tenant.campaign) == {"taken": 1, "to_confirm": 1, "purchased": 10}
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert (appointment.number, appointment.agent_id, appointment.state) == (1, tenant.agent.id, "to_confirm")
    assert appointment.start_at == THURSDAY_10  # 10:00 in Rome is 09:00 UTC in November


def test_the_wizard_shows_the_campaign_counters(testapp, dbsession, tenant):
    book(dbsession, tenant)
    login(testapp, tenant.operator)
    for page in (testapp.get(book_url(tenant)), testapp.get(book_url(tenant), params={"postal_code": "20121"}),
                 hold_slot(testapp, tenant, start="2026-11-26T14:00:00+01:00").follow()):
        assert [shown_count(page, name) for name in ("purchased", "taken", "remaining")] == [10, 1, 9]


# --- The wizard: refusals ----------------------------------------------------------------------------


def test_start_in_the_past_is_refused_by_the_cutoff(testapp, app, dbsession, tenant):
    login(testapp, tenant.operator)
    page = hold_slot(testapp, tenant, start="2026-11-20T10:00:00+01:00", status=422)
    assert grid_error(page) == translated(app, CUTOFF_MESSAGE)
    assert appointment_count(dbsession) == 0
    assert hold_count(dbsession) == 0
    assert counters(dbsession, tenant.campaign) == {"taken": 0, "to_confirm": 0, "purchased": 10}


def test_start_35_hours_ahead_is_neither_offered_nor_held(testapp, app, dbsession, tenant, clock):
    clock.now = datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc)  # Tuesday 23:00 in Rome
    login(testapp, tenant.operator)
    page = testapp.get(book_url(tenant), params={"postal_code": "20121", "week": "2026-W48"})
    offered = [button["value"] for button in page.html.select(f'[data-agent="{tenant.agent.slug}"] button.slot-free')]
    assert "2026-11-26T10:00:00+01:00" not in offered  # 35 hours ahead
    assert "2026-11-26T11:30:00+01:00" in offered  # 36 and a half
    page = hold_slot(testapp, tenant, start="2026-11-26T10:00:00+01:00", status=422)
    assert grid_error(page) == translated(app, CUTOFF_MESSAGE)
    assert appointment_count(dbsession) == 0


def test_slot_taken_is_refused_and_gives_back_the_quota_place(testapp, app, dbsession, tenant):
    login(testapp, tenant.operator)
    step3 = hold_slot(testapp, tenant).follow()
    # An appointment reaches the held slot behind the hold's back (as an import of the client's history may).
    intruder = book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=5), agent=tenant.agent)
    intruder.start_at, intruder.end_at = THURSDAY_10 + timedelta(minutes=30), THURSDAY_10 + timedelta(minutes=90)
    intruder.busy_until = THURSDAY_10 + timedelta(minutes=120)
    dbsession.flush()
    before = counters(dbsession, tenant.campaign)
    assert before == {"taken": 1, "to_confirm": 1, "purchased": 10}
    form = step3.forms["deform"]
    form["prospect_name"], form["prospect_phone"] = "Bar Centrale", "+39 02 1234567"
    page = form.submit(status=409)
    assert form_error(page) == translated(app, RuleViolation("slot_taken").message)
    assert shown_count(page, "taken") == 1  # the re-rendered page does not count the refused booking
    assert appointment_count(dbsession) == 1
    assert counters(dbsession, tenant.campaign) == before


def test_a_booked_slot_is_not_offered_nor_held(testapp, app, dbsession, tenant):
    book(dbsession, tenant)
    login(testapp, tenant.operator)
    page = testapp.get(book_url(tenant), params={"postal_code": "20121", "week": "2026-W48"})
    offered = [button["value"] for button in page.html.select(f'[data-agent="{tenant.agent.slug}"] button.slot-free')]
    assert "2026-11-26T11:00:00+01:00" not in offered  # inside 60 min + 30 min buffer
    assert "2026-11-26T11:30:00+01:00" in offered
    page = hold_slot(testapp, tenant, start="2026-11-26T11:00:00+01:00", status=409)
    assert grid_error(page) == translated(app, RuleViolation("slot_taken").message)
    assert hold_count(dbsession) == 0


def test_another_agent_may_take_the_same_slot(testapp, dbsession, tenant):
    book(dbsession, tenant)
    login(testapp, tenant.operator)
    submit_booking(testapp, tenant, agent=tenant.other_agent, postal_code="10121", status=302)
    assert counters(dbsession, tenant.campaign)["taken"] == 2


def test_quota_exhausted_is_refused_at_the_top_of_the_form(testapp, app, dbsession, tenant):
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    login(testapp, tenant.operator)
    step3 = hold_slot(testapp, tenant, campaign=campaign).follow()
    book(dbsession, tenant, campaign=campaign, agent=tenant.other_agent, postal_code="10121")
    form = step3.forms["deform"]
    form["prospect_name"], form["prospect_phone"] = "Bar Centrale", "+39 02 1234567"
    page = form.submit(status=409)
    assert form_error(page) == translated(app, RuleViolation("quota_exhausted").message)
    assert appointment_count(dbsession) == 1
    assert counters(dbsession, campaign) == {"taken": 1, "to_confirm": 1, "purchased": 1}


@pytest.mark.parametrize(("fields", "field"), [
    ({"prospect_phone": "call me maybe"}, "prospect_phone"),
    ({"prospect_postal_code": "!"}, "prospect_postal_code"),
    ({"prospect_name": ""}, "prospect_name"),
], ids=["invalid_phone", "invalid_postal_code", "missing_name"])
def test_invalid_form_is_rerendered_with_the_error_next_to_the_field(testapp, dbsession, tenant, fields, field):
    login(testapp, tenant.operator)
    page = submit_booking(testapp, tenant, status=400, **fields)
    assert field_error(page, field)
    assert appointment_count(dbsession) == 0
    assert counters(dbsession, tenant.campaign) == {"taken": 0, "to_confirm": 0, "purchased": 10}


@pytest.mark.parametrize(("agent", "start"), [
    ("", "2026-11-26T10:00:00+01:00"),
    ("nobody", "2026-11-26T10:00:00+01:00"),
    (None, "next thursday"),
    (None, "2026-11-26T10:00"),  # no offset: which 10:00?
], ids=["missing_agent", "unknown_agent", "invalid_start", "start_without_offset"])
def test_a_malformed_slot_is_a_plain_error_on_the_grid(testapp, dbsession, tenant, agent, start):
    login(testapp, tenant.operator)
    page = hold_slot(testapp, tenant, agent=agent, start=start, status=400)
    assert grid_error(page)
    assert page.html.select_one("#zone-name") is not None  # still on the week grid
    assert hold_count(dbsession) == 0


# --- Out of the schedule (rule 9's exception) ---------------------------------------------------------


def out_of_schedule(testapp, tenant, start, status):
    form = testapp.get(book_url(tenant).replace("/book", "/book-out-of-schedule")).forms["deform"]
    values = {"agent": tenant.agent.slug, "start": start, "prospect_name": "Bar Centrale",
              "prospect_phone": "+39 02 1234567", "prospect_postal_code": "20121"}
    for name, value in values.items():
        form[name] = value
    return form.submit(status=status)


def test_a_time_the_clocks_skip_is_a_validation_error(testapp, app, dbsession, tenant, clock):
    clock.now = datetime(2026, 3, 20, 8, 0, tzinfo=timezone.utc)
    login(testapp, tenant.account_manager)
    page = out_of_schedule(testapp, tenant, "2026-03-29T02:30", status=400)  # Rome jumps from 02:00 to 03:00
    assert field_error(page, "start") == translated(app, _NONEXISTENT_TIME)
    assert appointment_count(dbsession) == 0
    assert counters(dbsession, tenant.campaign)["taken"] == 0


def test_the_hour_after_the_clock_change_is_booked_in_summer_time(testapp, dbsession, tenant, clock):
    clock.now = datetime(2026, 3, 20, 8, 0, tzinfo=timezone.utc)
    login(testapp, tenant.account_manager)
    out_of_schedule(testapp, tenant, "2026-03-29T03:30", status=302)  # a Sunday: outside the schedule
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert appointment.start_at == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    assert appointment.out_of_schedule is True


def test_out_of_schedule_bookings_still_meet_the_cutoff(testapp, app, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = out_of_schedule(testapp, tenant, "2026-11-24T07:00", status=422)
    assert field_error(page, "start") == translated(app, CUTOFF_MESSAGE)
    assert appointment_count(dbsession) == 0


# --- Folder pages --------------------------------------------------------------------------------


def test_client_folder_shows_the_boxes_and_the_upcoming_appointments_in_order(testapp, dbsession, tenant):
    make_campaign(dbsession, tenant.client, purchased=5)
    past = book(dbsession, tenant, start=NOW - timedelta(days=4), now=NOW - timedelta(days=10))  # Thursday 09:00
    later = book(dbsession, tenant, start=THURSDAY_10 + timedelta(days=1))
    sooner = book(dbsession, tenant, start=THURSDAY_10 - timedelta(days=1))
    middle = book(dbsession, tenant, start=THURSDAY_10)
    middle.state = "confirmed"
    change_counters(dbsession, tenant.campaign.id, to_confirm=-1)
    dbsession.flush()
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert shown_count(page, "purchased") == 15
    assert (shown_count(page, "taken"), shown_count(page, "to_confirm")) == (4, 3)
    assert listed_numbers(page) == [sooner.number, middle.number, later.number]
    assert past.number not in listed_numbers(page)


def test_zone_and_agent_folders_list_only_their_appointments(testapp, dbsession, tenant):
    mine = book(dbsession, tenant)
    theirs = book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121")
    login(testapp, tenant.client_user)
    client = f"/clients/{tenant.client.slug}"
    expected = {
        f"{client}/zones/{tenant.zone.slug}/": [mine.number],
        f"{client}/zones/{tenant.other_zone.slug}/": [theirs.number],
        f"{client}/agents/{tenant.agent.slug}/": [mine.number],
        f"{client}/agents/{tenant.other_agent.slug}/": [theirs.number],
        f"{client}/zones/{tenant.zone.slug}/appointments": [mine.number],
        f"{client}/agents/{tenant.other_agent.slug}/appointments": [theirs.number],
        f"{client}/": [mine.number, theirs.number],
    }
    assert {path: sorted(listed_numbers(testapp.get(path))) for path in expected} == expected


def test_zone_folder_counts_only_its_appointments(testapp, dbsession, tenant):
    book(dbsession, tenant)
    book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=2))
    book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121")
    login(testapp, tenant.zone_manager)
    page = testapp.get(f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/")
    assert (shown_count(page, "taken"), shown_count(page, "to_confirm")) == (2, 2)
    assert page.html.select_one('[data-count="purchased"]') is None
