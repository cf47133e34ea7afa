"""The appointment's life through the pages (spec §4, §5 rules 2-6 and 11, §6): the appointment
page and its actions, offered only to who may use them; the history; the folders' recent changes and
unavailabilities; "Tutti gli appuntamenti" filters; the operators' worklists.

Every refusal is checked for its message on the re-rendered page and for having written nothing.
"""
from datetime import datetime, timedelta, timezone

import pytest
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import func, select

from agents.models import Unavailability
from callcenter.booking.services import book_appointment
from callcenter.appointments.labels import STATE_LABELS
from callcenter.appointments.models import Appointment, CancellationRequest, Recovery
from callcenter.appointments.rules import _NONEXISTENT_TIME
from callcenter.appointments.states import REFUSALS
from campaigns.models import Campaign
from portal.errors import RuleViolation
from portal.history import Change
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_campaign
from tests.functional.conftest import login as first_login
from tests.helpers import field_error, form_error

THURSDAY_10 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday 26 November, 10:00 in Rome
TUESDAY_10 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # tomorrow, seen from NOW (Monday 09:00)
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def book(dbsession, tenant, start=THURSDAY_10, agent=None, campaign=None, postal_code="20121", now=NOW,
         name="Bar Centrale"):
    appointment = book_appointment(dbsession, campaign=campaign or tenant.campaign, agent=agent or tenant.agent,
                                   start=start, prospect=dict(PROSPECT, postal_code=postal_code, name=name),
                                   booked_by=tenant.operator, now=now)
    dbsession.flush()  # its history line too, for the app's session to see
    return appointment


def login(testapp, user):
    """Log in as ``user``, after whoever was logged in before."""
    testapp.reset()
    return first_login(testapp, user)


def choose(page, formid, field, value):
    """Tick a radio button of a deform form (its inputs are named after the field's id)."""
    name = page.html.select_one(f"#{formid} .item-{field} input[type=radio]")["name"]
    form = page.forms[formid]
    form[name] = value
    return form


def options(field):
    return [option[0] for option in field.options]


def path_of(tenant, appointment):
    return f"/clients/{tenant.client.slug}/appointments/{appointment.number}/"


def written(dbsession):
    """Everything an action could write, to prove that a refusal wrote nothing."""
    dbsession.expire_all()

    def rows(query):
        return [tuple(row) for row in dbsession.execute(query).all()]

    return {
        "appointments": rows(select(
            Appointment.id, Appointment.state, Appointment.start_at, Appointment.agent_id, Appointment.confirmed_at,
            Appointment.contacted_at, Appointment.disowned_at, Appointment.cancelled_at, Appointment.outcome,
            Appointment.outcome_notes, Appointment.needs_rescheduling).order_by(Appointment.id)),
        "counters": rows(select(Campaign.id, Campaign.taken, Campaign.to_confirm, Campaign.cancelled,
                                Campaign.recovered).order_by(Campaign.id)),
        "changes": rows(select(func.count(Change.id))),
        "requests": rows(select(CancellationRequest.id, CancellationRequest.state).order_by(CancellationRequest.id)),
        "unavailabilities": rows(select(func.count(Unavailability.id))),
        "recoveries": rows(select(Recovery.id, Recovery.state).order_by(Recovery.id)),
    }


def translated(app, message):
    localizer = make_localizer("it", app.registry.queryUtility(ITranslationDirectories) or [])
    return localizer.translate(message)


def success(page):
    alert = page.html.select_one(".alert-success")
    return alert.text.strip() if alert is not None else None


def forms_on(page):
    return {form_id for form_id in page.forms if isinstance(form_id, str)}


def actions(page, selector="#history"):
    return [item["data-action"] for item in page.html.select(f"{selector} li.change")]


def refresh(dbsession, *objects):
    dbsession.expire_all()
    for obj in objects:
        dbsession.refresh(obj)


def counts(dbsession, campaign):
    dbsession.refresh(campaign)
    return {"taken": campaign.taken, "to_confirm": campaign.to_confirm, "cancelled": campaign.cancelled,
            "recovered": campaign.recovered}


# --- Confirm, postpone, contact, outcome --------------------------------------------------------------


def test_the_agent_confirms_his_appointment_from_its_page(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    page = testapp.get(path_of(tenant, appointment))
    response = page.forms["confirm-form"].submit(status=302)
    assert response.location == "http://localhost" + path_of(tenant, appointment)
    page = response.follow()
    assert success(page)
    refresh(dbsession, appointment)
    assert appointment.state == "confirmed"
    assert counts(dbsession, tenant.campaign)["to_confirm"] == 0
    assert "confirm-form" not in forms_on(page)  # confirmed: nothing more to confirm
    assert actions(page) == ["confirmed", "booked"]


def test_confirming_twice_is_refused_with_the_reason_and_writes_nothing(testapp, app, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    stale = testapp.get(path_of(tenant, appointment)).forms["confirm-form"]
    stale.submit(status=302)
    before = written(dbsession)
    page = stale.submit(status=409)  # the same button, from a page opened before
    assert page.html.select_one("#action-error").text.strip() == translated(app, REFUSALS["confirm"])
    assert written(dbsession) == before


def test_confirm_ten_minutes_before_the_meeting_is_accepted(testapp, dbsession, tenant, clock):
    appointment = book(dbsession, tenant)
    clock.now = THURSDAY_10 - timedelta(minutes=10)
    login(testapp, tenant.agent_user)
    testapp.get(path_of(tenant, appointment)).forms["confirm-form"].submit(status=302)
    refresh(dbsession, appointment)
    assert appointment.state == "confirmed"


def test_the_agent_postpones_to_a_free_time_keeping_number_and_state(testapp, dbsession, tenant, clock):
    appointment = book(dbsession, tenant)
    clock.now = THURSDAY_10 - timedelta(hours=1)  # rule 2: the cutoff does not apply
    login(testapp, tenant.agent_user)
    form = testapp.get(path_of(tenant, appointment)).forms["postpone-form"]
    assert form["agent"].value == tenant.agent.slug
    form["start"] = "2026-11-26T15:00"
    page = form.submit("postpone", status=302).follow()
    assert "15:00" in success(page)
    refresh(dbsession, appointment)
    assert (appointment.number, appointment.state) == (1, "to_confirm")
    assert appointment.start_at == datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)
    change = page.html.select_one('#history li.change[data-action="postponed"]')
    assert "10:00" in change.select_one(".change-before").text
    assert "15:00" in change.select_one(".change-after").text


def test_the_account_manager_gives_the_meeting_to_another_agent_of_the_zone(testapp, dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone], name="Laura Bianchi")
    appointment = book(dbsession, tenant)
    login(testapp, tenant.account_manager)
    form = testapp.get(path_of(tenant, appointment)).forms["postpone-form"]
    offered = options(form["agent"])
    assert offered == [tenant.agent.slug, colleague.slug]  # the zone's agents only
    form["start"], form["agent"] = "2026-11-27T11:00", colleague.slug
    page = form.submit("postpone", status=302).follow()
    refresh(dbsession, appointment)
    assert appointment.agent_id == colleague.id
    assert "Laura Bianchi" in page.html.select_one("#appointment-agent").text


def test_an_agent_who_gives_his_meeting_away_goes_home_not_to_a_403(testapp, dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    form = testapp.get(path_of(tenant, appointment)).forms["postpone-form"]
    form["start"], form["agent"] = "2026-11-27T11:00", colleague.slug
    assert form.submit("postpone", status=302).location == "http://localhost/"


def test_a_time_the_clocks_skip_is_refused_and_nothing_is_written(testapp, app, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    form = testapp.get(path_of(tenant, appointment)).forms["postpone-form"]
    before = written(dbsession)
    form["start"] = "2027-03-28T02:30"  # Rome jumps from 02:00 to 03:00
    page = form.submit("postpone", status=400)
    assert field_error(page, "start", form="postpone-form") == translated(app, _NONEXISTENT_TIME)
    assert page.forms["postpone-form"]["start"].value == "2027-03-28T02:30"  # the input is kept
    assert written(dbsession) == before


def test_postponing_onto_the_agents_other_appointment_is_refused(testapp, app, dbsession, tenant):
    appointment = book(dbsession, tenant)
    book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=5))  # 15:00
    login(testapp, tenant.agent_user)
    form = testapp.get(path_of(tenant, appointment)).forms["postpone-form"]
    before = written(dbsession)
    form["start"] = "2026-11-26T15:00"
    page = form.submit("postpone", status=409)
    assert field_error(page, "start", form="postpone-form") == translated(app, RuleViolation("slot_taken").message)
    assert written(dbsession) == before


def test_a_malformed_time_is_a_plain_error(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    form = testapp.get(path_of(tenant, appointment)).forms["postpone-form"]
    before = written(dbsession)
    form["start"] = "next thursday"
    page = form.submit("postpone", status=400)
    assert field_error(page, "start", form="postpone-form")
    assert written(dbsession) == before


def test_the_agent_records_the_contact_and_the_outcome_after_the_meeting(testapp, dbsession, tenant, clock):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    page = testapp.get(path_of(tenant, appointment))
    assert "outcome-form" not in forms_on(page)  # not before the meeting
    page = page.forms["contacted-form"].submit(status=302).follow()
    assert page.html.select_one("#flag-contacted") is not None
    assert "contacted-form" not in forms_on(page)

    clock.now = THURSDAY_10 + timedelta(hours=2)
    form = choose(testapp.get(path_of(tenant, appointment)), "outcome-form", "outcome", "no_show")
    form["notes"] = "Closed shop, nobody answered."
    page = form.submit("record", status=302).follow()
    assert "Closed shop" in page.html.select_one("#life-outcome").text
    refresh(dbsession, appointment)
    assert (appointment.outcome, appointment.state) == ("no_show", "to_confirm")
    assert actions(page) == ["outcome", "contacted", "booked"]


def test_an_outcome_posted_before_the_meeting_is_refused_with_its_message(testapp, app, dbsession, tenant, clock):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    clock.now = THURSDAY_10 + timedelta(minutes=5)
    form = testapp.get(path_of(tenant, appointment)).forms["outcome-form"]
    clock.now = THURSDAY_10 - timedelta(minutes=5)  # the page was opened on another clock
    before = written(dbsession)
    page = form.submit("record", status=409)
    assert form_error(page, "outcome-form") == translated(app, REFUSALS["outcome_early"])
    assert written(dbsession) == before


def test_the_contact_button_goes_at_the_meetings_start_and_a_late_post_is_refused(testapp, app, dbsession, tenant,
                                                                                 clock):
    appointment = book(dbsession, tenant)  # Thursday 26 November at 10:00 in Rome
    login(testapp, tenant.agent_user)
    clock.now = THURSDAY_10 - timedelta(minutes=1)
    form = testapp.get(path_of(tenant, appointment)).forms["contacted-form"]
    clock.now = THURSDAY_10  # the page was opened a minute before the meeting
    assert "contacted-form" not in forms_on(testapp.get(path_of(tenant, appointment)))
    before = written(dbsession)
    page = form.submit(status=409)
    assert translated(app, REFUSALS["contact_late"]) in page.html.text
    assert written(dbsession) == before


# --- The confirmation call (rule 3) -------------------------------------------------------------------


def test_the_operator_records_the_call_confirmed_postponed_or_disowned(testapp, app, dbsession, tenant):
    confirmed = book(dbsession, tenant)
    postponed = book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=2))
    disowned = book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=4))
    login(testapp, tenant.operator)

    form = choose(testapp.get(path_of(tenant, confirmed)), "call-form", "result", "confirmed")
    form.submit("record", status=302)

    form = choose(testapp.get(path_of(tenant, postponed)), "call-form", "result", "postponed")
    before = written(dbsession)
    page = form.submit("record", status=400)  # the new time is missing
    assert field_error(page, "start", form="call-form")
    assert written(dbsession) == before
    form = page.forms["call-form"]
    form["start"] = "2026-11-27T16:00"
    form.submit("record", status=302)

    form = choose(testapp.get(path_of(tenant, disowned)), "call-form", "result", "disowned")
    form["notes"] = "Never asked for it"
    page = form.submit("record", status=302).follow()
    assert "una richiesta di annullamento attende la decisione" in success(page)

    refresh(dbsession, confirmed, postponed, disowned)
    assert confirmed.state == "confirmed"
    assert postponed.start_at == datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
    # Rule 5: the disowning opens a request; only an account manager's approval changes the counts.
    assert disowned.state == "to_confirm" and disowned.disowned_at is not None
    request = dbsession.execute(select(CancellationRequest)
                                .where(CancellationRequest.appointment_id == disowned.id)).scalar_one()
    assert (request.state, request.reason, request.notes) == ("pending", "prospect_disowns", "Never asked for it")
    assert counts(dbsession, tenant.campaign) == {"taken": 3, "to_confirm": 2, "cancelled": 0, "recovered": 0}
    login(testapp, tenant.account_manager)
    decide = testapp.get(path_of(tenant, disowned)).forms["decide-form"]
    decide.submit("approve", status=302)
    refresh(dbsession, disowned)
    assert disowned.state == "cancelled"
    assert counts(dbsession, tenant.campaign) == {"taken": 2, "to_confirm": 1, "cancelled": 1, "recovered": 0}


def test_the_call_form_is_not_offered_after_the_meeting(testapp, dbsession, tenant, clock):
    appointment = book(dbsession, tenant)
    clock.now = THURSDAY_10 + timedelta(hours=1)
    login(testapp, tenant.operator)
    assert "call-form" not in forms_on(testapp.get(path_of(tenant, appointment)))


# --- Cancellation requests (rule 5) and their decision -----------------------------------------------


def test_the_client_asks_and_the_account_manager_approves(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.client_user)
    page = testapp.get(path_of(tenant, appointment))
    assert "28" in page.html.select_one("#cancellation-deadline").text  # Thursday 26 → until Saturday 28, 23:59
    assert "23:59" in page.html.select_one("#cancellation-deadline").text
    form = page.forms["request-form"]
    offered = options(form["reason"])
    assert "not_looked_at_portal" not in offered and "wrong_target" in offered
    form["reason"], form["notes"] = "wrong_target", "Not a decision maker"
    page = form.submit("request", status=302).follow()
    assert page.html.select_one("#flag-pending") is not None
    assert "request-form" not in forms_on(page)  # one pending request at a time
    assert counts(dbsession, tenant.campaign)["taken"] == 1  # a request alone changes nothing

    login(testapp, tenant.account_manager)
    form = testapp.get(path_of(tenant, appointment)).forms["decide-form"]
    form["notes"] = "Agreed"
    page = form.submit("approve", status=302).follow()
    assert success(page)
    assert "Agreed" in page.html.select_one("#decision-notes").text
    refresh(dbsession, appointment)
    assert appointment.state == "cancelled"
    assert counts(dbsession, tenant.campaign) == {"taken": 0, "to_confirm": 0, "cancelled": 1, "recovered": 0}
    assert dbsession.execute(select(Recovery.state)).scalar_one() == "owed"
    assert actions(page) == ["approved", "cancelled", "requested", "booked"]
    assert "decide-form" not in forms_on(page)


def test_a_rejected_request_changes_nothing_but_the_history(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.zone_manager)
    form = testapp.get(path_of(tenant, appointment)).forms["request-form"]
    form["reason"] = "duplicate"
    form.submit("request", status=302)
    login(testapp, tenant.account_manager)
    before = written(dbsession)
    page = testapp.get(path_of(tenant, appointment)).forms["decide-form"].submit("reject", status=302).follow()
    after = written(dbsession)
    assert after["appointments"] == before["appointments"] and after["counters"] == before["counters"]
    assert after["recoveries"] == [] and after["changes"] == [(before["changes"][0][0] + 1,)]
    assert actions(page)[0] == "rejected"


def test_a_request_after_the_window_is_refused_and_writes_nothing(testapp, app, dbsession, tenant, clock):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.client_user)
    form = testapp.get(path_of(tenant, appointment)).forms["request-form"]
    clock.now = datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc)  # Sunday 29 November, 00:00 in Rome
    form["reason"] = "wrong_target"
    before = written(dbsession)
    page = form.submit("request", status=422)
    assert field_error(page, "reason", form="request-form") == translated(
        app, RuleViolation("cancellation_window_closed").message)
    assert written(dbsession) == before
    assert page.html.select_one("#cancellation-deadline .bi-lock") is not None  # the window is shown closed


def test_after_the_agents_contact_prospect_disowns_is_neither_offered_nor_accepted(testapp, app, dbsession,
                                                                                  tenant):
    appointment = book(dbsession, tenant)
    appointment.contacted_at = NOW
    dbsession.flush()
    login(testapp, tenant.client_user)
    form = testapp.get(path_of(tenant, appointment)).forms["request-form"]
    assert "prospect_disowns" not in options(form["reason"])
    before = written(dbsession)
    token = form["csrf_token"].value
    page = testapp.post(path_of(tenant, appointment) + "cancellation-request/",
                        {"csrf_token": token, "reason": "prospect_disowns", "notes": "", "request": "request"},
                        status=422)
    assert field_error(page, "reason", form="request-form") == translated(app, RuleViolation("reason_not_allowed").message)
    assert written(dbsession) == before


# --- Offered only to who may use it; 403 for a crafted POST -------------------------------------------

OFFERED = {
    # role: forms offered on the agent's upcoming appointment (still to confirm, no request pending)
    "client": {"request-form"},
    "zone_manager": {"request-form"},
    "agent": {"confirm-form", "postpone-form", "contacted-form"},
    "operator": {"confirm-form", "postpone-form", "call-form"},
    "account_manager": {"confirm-form", "postpone-form", "contacted-form", "call-form"},
}


@pytest.mark.parametrize("role", sorted(OFFERED))
def test_each_role_is_offered_only_its_actions(testapp, dbsession, tenant, role):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.user(role))
    page = testapp.get(path_of(tenant, appointment))
    assert forms_on(page) - {"deform"} == OFFERED[role]


REFUSED = [
    # (role, whose appointment, action): a crafted POST without the permission is a 403 and writes nothing
    ("agent", "other", "confirm"),
    ("agent", "other", "postpone"),
    ("agent", "own", "cancellation-request/"),
    ("client", "own", "confirm"),
    ("client", "own", "contacted"),
    ("client", "own", "confirmation-call"),
    ("zone_manager", "other", "cancellation-request/"),
    ("zone_manager", "own", "postpone"),
    ("operator", "own", "cancellation-request/decide"),
    ("operator", "own", "cancellation-request/"),
    ("operator", "own", "contacted"),
    ("client", "own", "cancellation-request/decide"),
]


@pytest.mark.parametrize(("role", "whose", "action"), REFUSED, ids=lambda value: str(value).strip("/"))
def test_an_action_without_its_permission_is_403_and_writes_nothing(testapp, dbsession, tenant, role, whose,
                                                                     action):
    own = book(dbsession, tenant)
    other = book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121")
    for appointment in (own, other):  # a pending request, so that a decision would have something to decide
        dbsession.add(CancellationRequest(appointment_id=appointment.id, reason="duplicate", state="pending",
                                          requested_by_id=tenant.client_user.id, requested_at=NOW))
    dbsession.flush()
    login(testapp, tenant.user(role))
    token = testapp.get("/password").forms[0]["csrf_token"].value
    target = own if whose == "own" else other
    before = written(dbsession)
    testapp.post(path_of(tenant, target) + action,
                 {"csrf_token": token, "start": "2026-11-27T11:00", "agent": tenant.agent.slug, "result": "confirmed",
                  "reason": "duplicate", "notes": "", "approve": "approve"}, status=403)
    assert written(dbsession) == before


def test_the_agent_and_the_zone_manager_cannot_see_others_appointments(testapp, dbsession, tenant):
    other = book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121")
    for user in (tenant.agent_user, tenant.zone_manager):
        login(testapp, user)
        testapp.get(path_of(tenant, other), status=403)


def test_another_tenants_account_manager_cannot_decide(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    dbsession.add(CancellationRequest(appointment_id=appointment.id, reason="duplicate", state="pending",
                                      requested_by_id=tenant.client_user.id, requested_at=NOW))
    stranger = Tenant(dbsession).account_manager
    login(testapp, stranger)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(path_of(tenant, appointment) + "cancellation-request/decide",
                 {"csrf_token": token, "notes": "", "approve": "approve"}, status=403)
    assert dbsession.execute(select(CancellationRequest.state)).scalar_one() == "pending"


def test_an_action_without_the_csrf_token_is_refused(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    testapp.post(path_of(tenant, appointment) + "confirm", {}, status=403)
    refresh(dbsession, appointment)
    assert appointment.state == "to_confirm"


def test_an_actions_address_opened_leads_back_to_the_appointment(testapp, dbsession, tenant):
    appointment = book(dbsession, tenant)
    login(testapp, tenant.agent_user)
    response = testapp.get(path_of(tenant, appointment) + "postpone", status=302)
    assert response.location == "http://localhost" + path_of(tenant, appointment)


# --- History and recent changes --------------------------------------------------------------------


def test_the_history_shows_the_appointments_own_changes_in_client_time(testapp, app, dbsession, tenant):
    mine = book(dbsession, tenant)
    other = book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121")
    login(testapp, tenant.account_manager)
    testapp.get(path_of(tenant, mine)).forms["confirm-form"].submit(status=302)
    page = testapp.get(path_of(tenant, other))
    assert actions(page) == ["booked"]
    page = testapp.get(path_of(tenant, mine))
    assert actions(page) == ["confirmed", "booked"]
    confirmed = page.html.select_one('#history li.change[data-action="confirmed"]')
    assert "09:00" in confirmed.select_one(".change-at").text  # NOW is 08:00 UTC, 09:00 in Rome
    assert confirmed.select_one(".change-who").text.strip() == tenant.account_manager.email
    assert confirmed.select_one(".change-after").text.strip() == translated(app, STATE_LABELS["confirmed"])


def test_recent_changes_panels_show_only_their_folders_changes(testapp, dbsession, tenant):
    second_campaign = make_campaign(dbsession, tenant.client)
    mine = book(dbsession, tenant)
    theirs = book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121", campaign=second_campaign)
    stranger = Tenant(dbsession)
    book(dbsession, stranger)
    login(testapp, tenant.client_user)
    client = f"/clients/{tenant.client.slug}"

    def numbers(path):
        return sorted(int(item["data-appointment"]) for item in
                      testapp.get(path).html.select("#recent-changes li.change[data-appointment]"))

    assert numbers(f"{client}/") == [mine.number, theirs.number]
    assert numbers(f"{client}/zones/{tenant.zone.slug}/") == [mine.number]
    assert numbers(f"{client}/zones/{tenant.other_zone.slug}/") == [theirs.number]
    assert numbers(f"{client}/agents/{tenant.agent.slug}/") == [mine.number]
    assert numbers(f"{client}/agents/{tenant.other_agent.slug}/") == [theirs.number]
    assert numbers(f"{client}/campaigns/{second_campaign.slug}/") == [theirs.number]


def test_the_recent_changes_panel_is_apart_from_the_appointments_list(testapp, dbsession, tenant):
    book(dbsession, tenant)
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert page.html.select_one("#recent-changes table") is None
    assert len(page.html.select("table tbody tr td:first-child a")) == 1  # the upcoming list only


# --- Unavailabilities (rule 6) ---------------------------------------------------------------------


def declare(testapp, path, start, end, reason="Ferie", override=None, status=302):
    form = testapp.get(path).forms["unavailability-form"]
    form["start"], form["end"], form["reason"] = start, end, reason
    if override is not None:
        form["override"] = override
    return form.submit("declare", status=status)


def test_the_agent_declares_his_unavailability_eight_days_ahead(testapp, dbsession, tenant):
    login(testapp, tenant.agent_user)
    path = f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/"
    page = testapp.get(path)
    assert "1 dicembre 2026" in page.html.select_one("#notice-rule").text  # Monday 23 + 8 days
    assert "override" not in page.forms["unavailability-form"].fields
    page = declare(testapp, path, "2026-12-01T00:00", "2026-12-02T00:00").follow()
    assert success(page)
    listed = page.html.select("#unavailability-list li.unavailability")
    assert len(listed) == 1 and "Ferie" in listed[0].text
    assert dbsession.execute(select(Unavailability.agent_id)).scalar_one() == tenant.agent.id
    assert [item["data-action"] for item in page.html.select("#recent-changes li.change")] == ["declared"]


def test_short_notice_is_refused_with_the_rule_and_writes_nothing(testapp, app, dbsession, tenant):
    login(testapp, tenant.agent_user)
    path = f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/"
    before = written(dbsession)
    page = declare(testapp, path, "2026-11-30T00:00", "2026-12-01T00:00", status=422)
    assert field_error(page, "start", form="unavailability-form") == translated(
        app, RuleViolation("notice_too_short").message)
    assert page.forms["unavailability-form"]["reason"].value == "Ferie"
    assert written(dbsession) == before


def test_the_account_manager_overrides_the_notice_and_the_caught_meeting_is_flagged(testapp, dbsession, tenant):
    caught = book(dbsession, tenant)
    login(testapp, tenant.account_manager)
    path = f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/"
    page = declare(testapp, path, "2026-11-26T00:00", "2026-11-27T00:00", override="Alluvione").follow()
    assert "1" in success(page)
    refresh(dbsession, caught)
    assert caught.needs_rescheduling is True

    worklist = testapp.get("/callcenter/rescheduling")
    links = [a["href"] for a in worklist.html.select("tr.worklist-item a.btn")]
    assert links == [f"http://localhost{path_of(tenant, caught).rstrip('/')}#postpone"]
    page = testapp.get(path_of(tenant, caught))
    assert page.html.select_one("#rescheduling-note") is not None


def test_an_override_typed_by_who_may_not_is_refused(testapp, app, dbsession, tenant):
    login(testapp, tenant.client_user)
    path = f"/clients/{tenant.client.slug}/"
    form = testapp.get(path).forms["unavailability-form"]
    before = written(dbsession)
    page = testapp.post(path + "unavailability", {
        "csrf_token": form["csrf_token"].value, "start": "2026-11-26T00:00", "end": "2026-11-27T00:00",
        "reason": "", "override": "Please", "declare": "declare"}, status=422)
    assert field_error(page, "start", form="unavailability-form") == translated(
        app, RuleViolation("notice_too_short").message)  # the override is not even read
    assert written(dbsession) == before


@pytest.mark.parametrize(("role", "folder", "offered"), [
    ("client", "client", True), ("client", "zone", True), ("client", "agent", True),
    ("zone_manager", "zone", True), ("zone_manager", "agent", True),
    ("agent", "agent", True),
    ("operator", "client", False), ("operator", "zone", False), ("operator", "agent", False),
    ("account_manager", "agent", True),
])
def test_the_unavailability_form_is_offered_to_who_may_declare(testapp, tenant, role, folder, offered):
    login(testapp, tenant.user(role))
    path = {"client": f"/clients/{tenant.client.slug}/", "zone": f"/clients/{tenant.client.slug}/zones/"
            f"{tenant.zone.slug}/", "agent": f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/"}[folder]
    page = testapp.get(path)
    assert ("unavailability-form" in forms_on(page)) is offered
    if offered:
        assert ("override" in page.forms["unavailability-form"].fields) is (role == "account_manager")


def test_an_operator_posting_an_unavailability_gets_403(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/unavailability",
                 {"csrf_token": token, "start": "2026-12-10T00:00", "end": "2026-12-11T00:00"}, status=403)
    assert dbsession.execute(select(func.count(Unavailability.id))).scalar_one() == 0


def test_folders_list_current_and_future_unavailabilities_that_concern_them(testapp, dbsession, tenant):
    def add(start_days, end_days, reason, **scope):
        dbsession.add(Unavailability(client_id=tenant.client.id, start_at=NOW + timedelta(days=start_days),
                                     end_at=NOW + timedelta(days=end_days), reason=reason, **scope))

    add(-3, -1, "past", agent_id=tenant.agent.id)
    add(-1, 1, "now", agent_id=tenant.agent.id)
    add(10, 11, "zone", zone_id=tenant.zone.id)
    add(12, 13, "other agent", agent_id=tenant.other_agent.id)
    add(14, 15, "everyone")
    dbsession.flush()
    login(testapp, tenant.client_user)
    client = f"/clients/{tenant.client.slug}"

    def reasons(path):
        return [item.select_one(".small").text.split("·")[-1].strip()
                for item in testapp.get(path).html.select("#unavailability-list li")]

    assert reasons(f"{client}/agents/{tenant.agent.slug}/") == ["now", "zone", "everyone"]
    assert reasons(f"{client}/zones/{tenant.zone.slug}/") == ["now", "zone", "everyone"]
    assert reasons(f"{client}/") == ["now", "zone", "other agent", "everyone"]


# --- "Tutti gli appuntamenti" -------------------------------------------------------------------------


def test_all_appointments_filters_by_agent_zone_and_campaign_and_keeps_them_on_the_pages(testapp, dbsession,
                                                                                         tenant):
    second_campaign = make_campaign(dbsession, tenant.client, name="Winter")
    for hours in range(0, 8, 2):
        book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=hours))
    book(dbsession, tenant, agent=tenant.other_agent, postal_code="10121", campaign=second_campaign)
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/appointments/")
    form = page.forms["filters"]
    assert set(options(form["campaign"])) == {"", tenant.campaign.slug, second_campaign.slug}
    assert set(options(form["agent"])) == {"", tenant.agent.slug, tenant.other_agent.slug}
    assert set(options(form["zone"])) == {"", tenant.zone.slug, tenant.other_zone.slug}
    form["agent"] = tenant.agent.slug
    form["campaign"] = tenant.campaign.slug
    page = form.submit()
    assert len(page.html.select("table tbody tr td:first-child a")) == 4
    assert page.forms["filters"]["agent"].value == tenant.agent.slug
    page = testapp.get(f"/clients/{tenant.client.slug}/appointments/",
                       params={"zone": tenant.other_zone.slug, "per_page": 1})
    assert len(page.html.select("table tbody tr td:first-child a")) == 1
    page = testapp.get(f"/clients/{tenant.client.slug}/appointments/",
                       params={"agent": tenant.agent.slug, "per_page": 3})
    assert [item.text.strip() for item in page.html.select("#pages .page-item.disabled")] == ["Prima", "Precedente"]
    next_link = page.html.select_one("#pages a[rel=next]")["href"]
    assert f"agent={tenant.agent.slug}" in next_link and "after=" in next_link and "per_page=3" in next_link
    second = testapp.get(next_link)
    assert len(second.html.select("table tbody tr td:first-child a")) == 1
    assert not second.html.select("#pages a[rel=next]")
    previous_link = second.html.select_one("#pages a[rel=prev]")["href"]
    assert f"agent={tenant.agent.slug}" in previous_link and "before=" in previous_link
    assert numbers_listed(testapp.get(previous_link)) == numbers_listed(page)
    first_link = second.html.select_one("#pages a[rel=start]")["href"]
    assert "after" not in first_link and "before" not in first_link and f"agent={tenant.agent.slug}" in first_link
    assert numbers_listed(testapp.get(first_link)) == numbers_listed(page)


def numbers_listed(page):
    return [row["data-number"] for row in page.html.select("table tbody tr[data-number]")]


def test_a_folders_list_offers_only_the_filters_that_narrow_it(testapp, tenant):
    login(testapp, tenant.client_user)
    zone_form = testapp.get(f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/appointments").forms["filters"]
    assert "zone" not in zone_form.fields and "agent" in zone_form.fields
    agent_form = testapp.get(f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/appointments"
                             ).forms["filters"]
    assert "agent" not in agent_form.fields and "campaign" in agent_form.fields


# --- The operators' worklists ------------------------------------------------------------------------


def test_the_confirmation_worklist_lists_tomorrows_appointments_to_confirm_by_campaign(testapp, dbsession, tenant):
    earlier = NOW - timedelta(days=7)  # booked a week ago, before the cutoff
    second_campaign = make_campaign(dbsession, tenant.client, name="Winter")
    tomorrow = book(dbsession, tenant, start=TUESDAY_10, now=earlier)
    tomorrow_other = book(dbsession, tenant, start=TUESDAY_10, agent=tenant.other_agent, postal_code="10121",
                          campaign=second_campaign, now=earlier)
    already = book(dbsession, tenant, start=TUESDAY_10 + timedelta(hours=3), now=earlier)
    already.state = "confirmed"
    book(dbsession, tenant, start=THURSDAY_10)  # not tomorrow
    book(dbsession, Tenant(dbsession), start=TUESDAY_10, now=earlier)  # another client's: shown to operators
    dbsession.flush()
    login(testapp, tenant.account_manager)  # the account manager sees his portfolio only
    page = testapp.get("/callcenter/confirmations")
    groups = {group["data-campaign"]: [int(item["data-number"]) for item in group.select(".worklist-item")]
              for group in page.html.select(".worklist-group")}
    assert groups == {f"{tenant.client.slug}/{tenant.campaign.slug}": [tomorrow.number],
                      f"{tenant.client.slug}/{second_campaign.slug}": [tomorrow_other.number]}

    form = choose(page, f"call-{tenant.client.id}-{tomorrow.number}", "result", "confirmed")
    response = form.submit("record", status=302)
    assert response.location == "http://localhost/callcenter/confirmations"
    page = response.follow()
    assert success(page)
    assert [int(item["data-number"]) for item in page.html.select(".worklist-item")] == [tomorrow_other.number]


def test_operators_see_every_clients_calls(testapp, dbsession, tenant):
    stranger = Tenant(dbsession)
    theirs = book(dbsession, stranger, start=TUESDAY_10, now=NOW - timedelta(days=7))
    login(testapp, tenant.operator)
    page = testapp.get("/callcenter/confirmations")
    assert [int(item["data-number"]) for item in page.html.select(".worklist-item")] == [theirs.number]


def test_the_recovery_worklist_links_to_the_wizard_and_the_booking_recovers(testapp, dbsession, tenant, clock):
    cancelled = book(dbsession, tenant)
    cancelled.state = "cancelled"  # as an approved request leaves it
    dbsession.add(Recovery(campaign_id=tenant.campaign.id, cancelled_appointment_id=cancelled.id,
                           state="released", created_at=NOW, released_at=NOW))  # as the release job leaves it
    dbsession.execute(Campaign.__table__.update().where(Campaign.id == tenant.campaign.id)
                      .values(taken=0, to_confirm=0, cancelled=1, recoveries_pending=1))
    dbsession.flush()
    login(testapp, tenant.operator)
    page = testapp.get("/callcenter/recoveries")
    link = page.html.select_one("tr.worklist-item a.book-recovery")["href"]
    assert f"recovers={cancelled.number}" in link

    area = testapp.get(link)
    assert area.html.select_one("#recovery-note") is not None
    form = area.forms["area-form"]
    form["postal_code"] = "20121"
    week = form.submit()
    assert f"{cancelled.number}" in week.html.select_one("#recovery-note").text
    grid = week.forms[f"hold-{tenant.agent.slug}"]
    step3 = grid.submit("start", value="2026-11-26T15:00:00+01:00", status=302).follow()
    assert step3.html.select_one("#recovery-note") is not None
    form = step3.forms["deform"]
    assert form["recovers"].value == str(cancelled.number)
    form["prospect_name"], form["prospect_phone"] = "Bar Nuovo", "+39 02 7654321"
    booked = form.submit(status=302).follow()
    assert f"{cancelled.number}" in booked.html.select_one("#life-recovers").text
    recovery = dbsession.execute(select(Recovery)).scalar_one()
    dbsession.refresh(recovery)
    assert recovery.state == "booked"
    assert counts(dbsession, tenant.campaign)["recovered"] == 1
    assert testapp.get("/callcenter/recoveries").html.select("tr.worklist-item") == []


def test_worklists_are_for_the_call_center_only(testapp, tenant):
    for role in ("client", "zone_manager", "agent"):
        login(testapp, tenant.user(role))
        for name in ("confirmations", "rescheduling", "recoveries"):
            testapp.get(f"/callcenter/{name}", status=403)


def test_the_workspace_and_the_navbar_link_the_worklists(testapp, tenant):
    login(testapp, tenant.operator)
    page = testapp.get("/callcenter/")
    hrefs = {a["href"] for a in page.html.select("#callcenter-tabs a")}
    navbar = {a["href"] for a in page.html.select("nav.navbar a.nav-link")}
    for name in ("confirmations", "rescheduling", "recoveries"):
        assert f"http://localhost/callcenter/{name}" in hrefs
        assert f"http://localhost/callcenter/{name}" in navbar
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert not [a for a in page.html.select("nav.navbar a.nav-link") if "/callcenter/" in a["href"]]
