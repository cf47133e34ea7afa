"""The operator's booking wizard in the browser (spec §6; §5 rules 1, 7, 9, 10, 13, 14):
area → week grid → hold → prospect form → booked, with every refusal shown in plain words."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from callcenter.booking.services import book_appointment
from callcenter.appointments.models import Appointment
from callcenter.booking.models import Hold
from callcenter.booking.wizard import HOLD_ENDED
from campaigns.services import add_campaign_field
from portal.errors import RuleViolation
from portal.i18n import _
from tests.conftest import NOW
from tests.factories import make_campaign, make_user
from tests.functional.conftest import login
from tests.functional.booking.test_booking_pages import translated
from tests.helpers import appointment_count, field_error, form_error

THURSDAY_10 = "2026-11-26T10:00:00+01:00"  # Thursday 26 November 2026, 10:00 in Rome
THURSDAY_10_UTC = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
NO_ZONE = _("no_zone_for_prospect", default="No zone of this client covers this postal code or province.")
PROSPECT = {"prospect_name": "Bar Centrale", "prospect_phone": "+39 02 1234567"}


def book_url(tenant, campaign=None):
    return f"/clients/{tenant.client.slug}/campaigns/{(campaign or tenant.campaign).slug}/book"


def grid(testapp, tenant, campaign=None, status=200, **query):
    query.setdefault("postal_code", "20121")
    return testapp.get(book_url(tenant, campaign), params=query, status=status)


def free_starts(page, agent):
    return [button["value"] for button in page.html.select(f'[data-agent="{agent.slug}"] button.slot-free')]


def held_slots(page, agent):
    return {button.select_one(".slot-time").text: button.select_one(".slot-until").text
            for button in page.html.select(f'[data-agent="{agent.slug}"] button.slot-held')}


def hold(testapp, tenant, agent=None, start=THURSDAY_10, campaign=None, postal_code="20121", status=302):
    """Click a free slot of the grid: the hold's page (step 3) when it is held."""
    agent = agent or tenant.agent
    page = grid(testapp, tenant, campaign, postal_code=postal_code, week="2026-W48")
    form = page.forms[f"hold-{agent.slug}"]
    if start not in free_starts(page, agent):  # a slot the grid does not offer: post it as a crafted request would
        return testapp.post(book_url(tenant, campaign), {
            "csrf_token": form["csrf_token"].value, "agent": agent.slug, "start": start,
            "postal_code": postal_code, "week": "2026-W48"}, status=status)
    return form.submit("start", value=start, status=status)


def radio_name(page, field):
    """deform names a radio group after its widget id; find it from the field's item."""
    return page.html.select_one(f"#deform .item-{field} input[type=radio]")["name"]


def fill_prospect(page, **values):
    form = page.forms["deform"]
    for name, value in dict(PROSPECT, **values).items():
        if name in form.fields:
            form[name] = value
    return form


def error_alert(page):
    alert = page.html.select_one("#wizard-error")
    return alert.text.strip() if alert is not None else None


def counters(dbsession, campaign):
    dbsession.refresh(campaign)
    return {"taken": campaign.taken, "to_confirm": campaign.to_confirm}


@pytest.fixture
def fielded(dbsession, tenant):
    """A campaign asking for one field of every kind (rule 14)."""
    campaign = make_campaign(dbsession, tenant.client, purchased=10, name="Serramenti")
    add_campaign_field(dbsession, campaign, name="window_type", label="Window type", kind="choice", required=True,
                       choices=["PVC", "Wood"], help_text="Ask what the current windows are made of.")
    add_campaign_field(dbsession, campaign, name="windows", label="Number of windows", kind="number",
                       help_text="An estimate is fine.")
    add_campaign_field(dbsession, campaign, name="owner", label="Owner of the house", kind="yes_no")
    add_campaign_field(dbsession, campaign, name="visit_before", label="Last visit", kind="date")
    add_campaign_field(dbsession, campaign, name="referrer", label="Referred by", kind="text")
    dbsession.refresh(campaign)
    return campaign


# --- The whole flow ----------------------------------------------------------------------------------


def test_the_workspace_book_button_opens_the_area_step(testapp, tenant):
    login(testapp, tenant.operator)
    workspace = testapp.get("/callcenter/")
    page = workspace.click(href=book_url(tenant))
    assert page.html.select_one("#area-form") is not None
    assert page.html.select_one("#area-form input[name=postal_code]") is not None


def test_the_whole_flow_from_postal_code_to_the_booked_appointment(testapp, app, dbsession, tenant):
    login(testapp, tenant.operator)
    area = testapp.get(book_url(tenant)).forms["area-form"]
    area["postal_code"] = "20121"
    week = area.submit(status=200)
    assert tenant.zone.name in week.html.select_one("#zone-name").text
    assert week.html.select_one(".week-label")["data-week"] == "2026-W48"  # the first week a booking can fall in
    assert THURSDAY_10 in free_starts(week, tenant.agent)
    assert week.html.select(f'[data-agent="{tenant.other_agent.slug}"]') == []  # another zone's agent

    step3 = week.forms[f"hold-{tenant.agent.slug}"].submit("start", value=THURSDAY_10, status=302).follow()
    held = dbsession.execute(select(Hold)).scalar_one()
    assert (held.agent_id, held.start_at, held.ended_at) == (tenant.agent.id, THURSDAY_10_UTC, None)
    assert step3.forms["deform"]["prospect_postal_code"].value == "20121"  # prefilled from step 1
    assert "09:05" in step3.html.select_one("#hold-expiry").text  # five minutes from 09:00
    assert step3.html.select_one("#release") is not None

    response = fill_prospect(step3, notes="Citofono 3").submit(status=302)
    assert response.location.rstrip("/") == f"http://localhost/clients/{tenant.client.slug}/appointments/1"
    page = response.follow(status=200)
    assert page.html.select_one(".alert-success") is not None
    assert "Bar Centrale" in page.text
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert (appointment.start_at, appointment.agent_id, appointment.zone_id, appointment.notes) == (
        THURSDAY_10_UTC, tenant.agent.id, tenant.zone.id, "Citofono 3")
    dbsession.refresh(held)
    assert held.ended_at is not None  # the booking consumed the hold
    assert counters(dbsession, tenant.campaign) == {"taken": 1, "to_confirm": 1}


def test_the_area_can_be_a_province_or_a_zone(testapp, tenant):
    login(testapp, tenant.operator)
    by_province = grid(testapp, tenant, postal_code="", province="MI")
    by_zone = grid(testapp, tenant, postal_code="", zone=tenant.other_zone.slug)
    assert tenant.zone.name in by_province.html.select_one("#zone-name").text
    assert by_zone.html.select(f'[data-agent="{tenant.other_agent.slug}"]')


def test_unknown_postal_code_is_shown_next_to_the_field(testapp, app, tenant):
    login(testapp, tenant.operator)
    page = grid(testapp, tenant, postal_code="99999", status=400)
    feedback = page.html.select_one("#area-form .invalid-feedback")
    assert feedback.text.strip() == translated(app, NO_ZONE)
    assert page.html.select_one("#area-postal-code")["value"] == "99999"


def test_a_malformed_week_is_a_plain_error(testapp, tenant):
    login(testapp, tenant.operator)
    page = grid(testapp, tenant, week="2026-W60", status=400)
    assert error_alert(page)


def test_previous_and_next_week_links(testapp, tenant):
    login(testapp, tenant.operator)
    page = grid(testapp, tenant, week="2026-W49")
    assert "week=2026-W50" in page.html.select_one("a[rel=next]")["href"]
    assert "week=2026-W48" in page.html.select_one("a[rel=prev]")["href"]
    assert "postal_code=20121" in page.html.select_one("a[rel=next]")["href"]
    current = grid(testapp, tenant, week="2026-W48")
    assert current.html.select_one("a[rel=prev]") is None  # nothing to book in the past
    assert "36" in current.html.select_one("#cutoff-note").text


def test_the_grid_has_no_slot_before_the_cutoff_nor_on_a_holiday(testapp, tenant):
    login(testapp, tenant.operator)
    starts = free_starts(grid(testapp, tenant, week="2026-W48"), tenant.agent)
    assert not any(start.startswith(("2026-11-23", "2026-11-24")) for start in starts)  # within 36 hours
    assert starts[0] == "2026-11-25T09:00:00+01:00"
    december = grid(testapp, tenant, week="2026-W50")
    assert not any(start.startswith("2026-12-08") for start in free_starts(december, tenant.agent))
    assert december.html.select("th.table-warning")  # the Immacolata is marked as a holiday


# --- Holds ------------------------------------------------------------------------------------------


def test_a_slot_held_by_another_operator_shows_held_until(testapp, app, dbsession, tenant):
    login(testapp, tenant.operator)
    hold(testapp, tenant)
    testapp.reset()
    other = make_user(dbsession, "operator")
    login(testapp, other)
    page = grid(testapp, tenant, week="2026-W48")
    assert "10:00" in held_slots(page, tenant.agent)
    assert "09:05" in held_slots(page, tenant.agent)["10:00"]
    assert THURSDAY_10 not in free_starts(page, tenant.agent)
    assert "2026-11-26T14:00:00+01:00" in free_starts(page, tenant.agent)

    refused = testapp.post(book_url(tenant), {"csrf_token": page.forms[f"hold-{tenant.agent.slug}"]["csrf_token"].value,
                                              "agent": tenant.agent.slug, "start": THURSDAY_10,
                                              "postal_code": "20121", "week": "2026-W48"}, status=409)
    assert "09:05" in error_alert(refused)
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 1


def test_the_own_hold_is_a_link_back_to_the_prospect_form(testapp, tenant):
    login(testapp, tenant.operator)
    step3_url = hold(testapp, tenant).location
    page = grid(testapp, tenant, week="2026-W48")
    mine = page.html.select_one(f'[data-agent="{tenant.agent.slug}"] a.slot-mine')
    assert mine["href"].split("?")[0] == step3_url.split("?")[0]


def test_an_expired_hold_is_refused_with_hold_expired_and_writes_nothing(testapp, app, dbsession, tenant, clock):
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant).follow()
    clock.now = NOW + timedelta(minutes=6)
    page = fill_prospect(step3).submit(status=409)
    assert form_error(page) == translated(app, RuleViolation("hold_expired").message)
    assert page.html.select_one("#hold-expired") is not None  # with a button to hold it again
    assert appointment_count(dbsession) == 0
    assert counters(dbsession, tenant.campaign) == {"taken": 0, "to_confirm": 0}
    again = testapp.get(step3.request.url)
    assert translated(app, RuleViolation("hold_expired").message) in again.html.select_one("#hold-expired").text
    assert again.html.select_one("#deform") is None
    renewed = again.forms["hold-again-form"].submit(status=302).follow()  # the slot is still free: hold it anew
    fill_prospect(renewed).submit(status=302)
    assert appointment_count(dbsession) == 1


def test_a_booked_hold_says_it_has_ended(testapp, app, dbsession, tenant):
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant).follow()
    fill_prospect(step3).submit(status=302)
    page = testapp.get(step3.request.url)
    assert translated(app, HOLD_ENDED) in page.html.select_one("#hold-expired").text


def test_releasing_the_hold_frees_the_slot(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant).follow()
    back = step3.forms["release-form"].submit(status=302)
    assert "week=2026-W48" in back.location and "postal_code=20121" in back.location
    page = back.follow()
    assert page.html.select_one(".alert-success") is not None
    assert THURSDAY_10 in free_starts(page, tenant.agent)
    assert dbsession.execute(select(Hold)).scalar_one().ended_at is not None


def test_another_operator_cannot_open_or_release_my_hold(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    step3_url = hold(testapp, tenant).location
    testapp.reset()
    login(testapp, make_user(dbsession, "operator"))
    testapp.get(step3_url, status=403)


# --- Refusals write nothing --------------------------------------------------------------------------


def test_quota_used_up_after_the_hold_is_refused_and_writes_nothing(testapp, app, dbsession, tenant):
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    login(testapp, tenant.operator)
    step3 = hold(testapp, tenant, campaign=campaign).follow()
    book_appointment(dbsession, campaign=campaign, agent=tenant.other_agent, start=THURSDAY_10_UTC,
                     prospect={"name": "Altro", "phone": "+39 011 1234567", "postal_code": "10121"},
                     booked_by=make_user(dbsession, "operator"), now=NOW)
    page = fill_prospect(step3).submit(status=409)
    assert form_error(page) == translated(app, RuleViolation("quota_exhausted").message)
    assert appointment_count(dbsession) == 1
    assert counters(dbsession, campaign) == {"taken": 1, "to_confirm": 1}
    assert dbsession.execute(select(Hold).where(Hold.campaign_id == campaign.id)).scalar_one().ended_at is None


def test_a_full_campaign_refuses_the_hold_on_the_grid(testapp, app, dbsession, tenant):
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    book_appointment(dbsession, campaign=campaign, agent=tenant.other_agent, start=THURSDAY_10_UTC,
                     prospect={"name": "Altro", "phone": "+39 011 1234567", "postal_code": "10121"},
                     booked_by=tenant.operator, now=NOW)
    login(testapp, tenant.operator)
    page = hold(testapp, tenant, campaign=campaign, status=409)
    assert error_alert(page) == translated(app, RuleViolation("quota_exhausted").message)
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 0


def test_a_hold_outside_the_schedule_is_refused(testapp, app, dbsession, tenant):
    login(testapp, tenant.operator)
    page = hold(testapp, tenant, start="2026-11-26T10:15:00+01:00", status=422)  # off the 30-minute grid
    assert error_alert(page) == translated(app, RuleViolation("outside_schedule").message)
    page = hold(testapp, tenant, start="2026-11-26T20:00:00+01:00", status=422)
    assert error_alert(page) == translated(app, RuleViolation("outside_schedule").message)
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 0


# --- Campaign fields (rule 14) ------------------------------------------------------------------------


def test_the_prospect_form_asks_the_campaign_fields_with_their_widgets(testapp, tenant, fielded):
    login(testapp, tenant.operator)
    page = hold(testapp, tenant, campaign=fielded).follow()
    form = page.html.select_one("#deform")
    choice = form.select_one("select[name=field_window_type]")
    assert [option["value"] for option in choice.select("option")] == ["", "PVC", "Wood"]
    assert choice.has_attr("required")
    assert "Window type" in form.select_one(".item-field_window_type label").text
    assert "Ask what the current windows are made of." in form.select_one(".item-field_window_type").text
    assert form.select_one("input[name=field_windows]") is not None
    assert not form.select_one("input[name=field_windows]").has_attr("required")
    assert [radio["value"] for radio in form.select(".item-field_owner input[type=radio]")] == ["true", "false"]
    assert form.select_one("input[name=field_visit_before]")["type"] == "date"
    assert form.select_one("input[name=field_referrer]") is not None


def test_campaign_fields_are_stored_with_the_booking_and_shown_on_it(testapp, app, dbsession, tenant, fielded):
    login(testapp, tenant.operator)
    form = fill_prospect(hold(testapp, tenant, campaign=fielded).follow())
    form["field_window_type"] = "Wood"
    form["field_windows"] = "4"
    form[radio_name(form.response, "field_owner")] = "true"
    form["field_visit_before"] = "2026-10-01"
    page = form.submit(status=302).follow()
    appointment = dbsession.execute(select(Appointment)).scalar_one()
    assert appointment.fields == {"window_type": "Wood", "windows": 4, "owner": True, "visit_before": "2026-10-01"}
    shown = {dt.text.strip(): dt.find_next_sibling("dd").text.strip() for dt in page.html.select("dt[data-field]")}
    assert shown == {"Window type": "Wood", "Number of windows": "4", "Owner of the house": translated(app, _("Yes")),
                     "Last visit": "2026-10-01"}


def test_a_missing_required_field_is_shown_next_to_it(testapp, dbsession, tenant, fielded):
    login(testapp, tenant.operator)
    page = fill_prospect(hold(testapp, tenant, campaign=fielded).follow()).submit(status=400)
    assert field_error(page, "field_window_type")
    assert appointment_count(dbsession) == 0


@pytest.mark.parametrize(("field", "value"), [
    ("field_window_type", "Glass"),  # not one of the choices
    ("field_visit_before", "yesterday"),  # not a date
    ("field_windows", "many"),  # not a number
])
def test_a_wrong_campaign_field_is_refused_next_to_it_and_writes_nothing(testapp, dbsession, tenant, fielded,
                                                                        field, value):
    login(testapp, tenant.operator)
    form = fill_prospect(hold(testapp, tenant, campaign=fielded).follow())
    form["field_window_type"] = "PVC"
    form[field].force_value(value)
    page = form.submit(status=400)
    assert field_error(page, field)
    assert appointment_count(dbsession) == 0
    assert counters(dbsession, fielded) == {"taken": 0, "to_confirm": 0}


def test_nul_characters_are_bad_input_not_a_server_error(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    form = fill_prospect(hold(testapp, tenant).follow(), notes="a\x00b")
    form.submit(status=400)
    assert appointment_count(dbsession) == 0


# --- Who may book ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent"])
def test_client_side_users_get_403(testapp, tenant, role):
    login(testapp, tenant.user(role))
    testapp.get(book_url(tenant), status=403)
    testapp.get(book_url(tenant), params={"postal_code": "20121"}, status=403)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(book_url(tenant), {"csrf_token": token, "agent": tenant.agent.slug, "start": THURSDAY_10,
                                    "postal_code": "20121"}, status=403)


def test_the_account_manager_books_through_the_wizard_too(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    fill_prospect(hold(testapp, tenant).follow()).submit(status=302)
    assert appointment_count(dbsession) == 1


def test_only_who_may_book_out_of_schedule_sees_that_page(testapp, tenant):
    login(testapp, tenant.operator)
    assert grid(testapp, tenant).html.select_one('a[href*="book-out-of-schedule"]') is None
    testapp.get(book_url(tenant).replace("/book", "/book-out-of-schedule"), status=403)
    testapp.reset()
    login(testapp, tenant.account_manager)
    assert grid(testapp, tenant).html.select_one('a[href*="book-out-of-schedule"]') is not None


def test_the_grid_costs_a_fixed_number_of_queries(testapp, dbsession, tenant, app):
    """No query per agent or per slot: week_slots batches, the page adds none."""
    from sqlalchemy import event

    from tests.factories import make_agent
    login(testapp, tenant.operator)

    def queries_for_grid():
        statements = []
        engine = dbsession.get_bind().engine

        def count(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            grid(testapp, tenant, week="2026-W49")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    few = queries_for_grid()
    for _ in range(4):
        make_agent(dbsession, tenant.client, zones=[tenant.zone])
    assert queries_for_grid() == few
