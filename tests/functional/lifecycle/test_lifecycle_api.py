"""The appointment's life through /api/v1 (spec §5 rules 2-6, 11; §9.1): the worked examples,
the illegal transitions, the worklists, the folders' recent changes and who may do what.

Every refusal is checked for its status, code and field, and for having written nothing: the
appointments (state, time, agent, life fields), the campaigns' counters, the history, the
cancellation requests, the unavailabilities and the recoveries are the same before and after.
"""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from agents.models import Unavailability
from callcenter.appointments.models import Appointment, CancellationRequest, Recovery
from callcenter.booking.models import Hold
from callcenter.lifecycle.recoveries import release_for
from campaigns.models import Campaign, Client
from portal.history import Change
from tests.conftest import NOW
from tests.factories import Tenant, make_agent

PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
OTHER_ZONE_PROSPECT = {"name": "Caffè Torino", "phone": "+39 011 1234567", "postal_code": "10121"}
THURSDAY_10 = "2026-11-26T10:00:00+01:00"  # Thursday 26 November, inside the agents' Mon-Fri 09-18 schedule
ROLES = ("client", "zone_manager", "agent", "operator", "account_manager", "admin")


def at(iso):
    """A moment for ``clock.now``: Rome wall-clock time with its offset."""
    return datetime.fromisoformat(iso)


# --- helpers -------------------------------------------------------------------------------------


def written(dbsession):
    """Everything an appointment-life call could write, to prove a refusal wrote nothing."""
    dbsession.expire_all()

    def rows(query):
        return [tuple(row) for row in dbsession.execute(query).all()]

    return {
        "appointments": rows(select(
            Appointment.id, Appointment.number, Appointment.state, Appointment.start_at, Appointment.end_at,
            Appointment.agent_id, Appointment.confirmed_at, Appointment.contacted_at, Appointment.disowned_at,
            Appointment.cancelled_at, Appointment.cancel_reason, Appointment.outcome, Appointment.outcome_notes,
            Appointment.needs_rescheduling).order_by(Appointment.id)),
        "counters": rows(select(Campaign.id, Campaign.purchased, Campaign.taken, Campaign.to_confirm,
                                Campaign.cancelled, Campaign.recovered).order_by(Campaign.id)),
        "numbers": rows(select(Client.id, Client.last_appointment_number).order_by(Client.id)),
        "changes": rows(select(func.count(Change.id), func.max(Change.id))),
        "requests": rows(select(CancellationRequest.id, CancellationRequest.state, CancellationRequest.decided_at)
                         .order_by(CancellationRequest.id)),
        "unavailabilities": rows(select(func.count(Unavailability.id))),
        "recoveries": rows(select(Recovery.id, Recovery.state, Recovery.replacement_appointment_id)
                           .order_by(Recovery.id)),
        "holds": rows(select(func.count(Hold.id))),
    }


def change_count(dbsession):
    return dbsession.execute(select(func.count(Change.id))).scalar_one()


def assert_refused(dbsession, call, status, code, field):
    """``call(status)`` is refused with ``status``, ``code`` and ``field``, a message, and nothing written."""
    before = written(dbsession)
    response = call(status)
    error = response.json["error"]
    assert (response.status_int, error["code"], error["field"]) == (status, code, field), error
    assert error["message"]
    assert written(dbsession) == before
    return error


def book(api, tenant, start=THURSDAY_10, agent=None, prospect=PROSPECT, **extra):
    """Book as an operator; answers the appointment."""
    body = {"agent": (agent or tenant.agent).slug, "start": start, "prospect": prospect, **extra}
    return api(tenant.operator).post(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments",
                                     body).json


def path_of(tenant, appointment):
    return f"/clients/{tenant.client.slug}/appointments/{appointment['number']}"


def counts(api, tenant):
    answer = api(tenant.account_manager).get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}").json
    return {name: answer[name] for name in ("taken", "to_confirm", "cancelled", "recovered")}


def history(api, tenant, appointment):
    return api(tenant.admin).get(path_of(tenant, appointment) + "/history").json["items"]


def agent_folder(tenant, agent=None):
    return f"/clients/{tenant.client.slug}/agents/{(agent or tenant.agent).slug}"


def zone_folder(tenant, zone=None):
    return f"/clients/{tenant.client.slug}/zones/{(zone or tenant.zone).slug}"


# --- rule 2: confirm and postpone at any time ----------------------------------------------------


def test_postponing_one_hour_before_the_meeting_is_accepted(api, tenant, clock):
    booked = book(api, tenant)
    clock.now = at("2026-11-26T09:00:00+01:00")
    moved = api(tenant.agent_user).post(path_of(tenant, booked) + "/postpone",
                                        {"start": "2026-11-26T15:00:00+01:00"}, status=200).json
    assert (moved["number"], moved["state"], moved["start"], moved["end"]) == (
        booked["number"], "to_confirm", "2026-11-26T15:00:00+01:00", "2026-11-26T16:00:00+01:00")
    postponed = history(api, tenant, booked)[0]
    assert (postponed["action"], postponed["actor"]) == ("postponed", tenant.agent_user.email)
    assert (postponed["before"], postponed["after"]) == ({"start": "2026-11-26T09:00:00+00:00"},
                                                         {"start": "2026-11-26T14:00:00+00:00"})
    assert counts(api, tenant) == {"taken": 1, "to_confirm": 1, "cancelled": 0, "recovered": 0}


def test_confirming_ten_minutes_before_the_meeting_is_accepted(api, tenant, clock):
    booked = book(api, tenant)
    clock.now = at("2026-11-26T09:50:00+01:00")
    confirmed = api(tenant.agent_user).post(path_of(tenant, booked) + "/confirm", status=200).json
    assert (confirmed["state"], confirmed["confirmed_at"]) == ("confirmed", "2026-11-26T09:50:00+01:00")
    assert counts(api, tenant) == {"taken": 1, "to_confirm": 0, "cancelled": 0, "recovered": 0}
    assert [change["action"] for change in history(api, tenant, booked)] == ["confirmed", "booked"]


def test_postponing_to_another_agent_of_the_zone_and_out_of_it(api, tenant, dbsession, clock):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    booked = book(api, tenant)
    path = path_of(tenant, booked) + "/postpone"
    assert_refused(dbsession, lambda status: api(tenant.operator).post(
        path, {"start": THURSDAY_10, "agent": tenant.other_agent.slug}, status=status), 400, "validation_error",
        "agent")
    moved = api(tenant.operator).post(path, {"start": THURSDAY_10, "agent": colleague.slug}, status=200).json
    assert (moved["agent"], moved["start"], moved["number"]) == (colleague.slug, THURSDAY_10, booked["number"])


def test_the_new_time_must_be_free_for_the_agent(api, tenant, dbsession, clock):
    first, second = book(api, tenant), book(api, tenant, start="2026-11-26T14:00:00+01:00")
    postpone = path_of(tenant, first) + "/postpone"
    for start, status, code in [("2026-11-26T14:30:00+01:00", 409, "slot_taken"),
                                ("2026-11-28T10:00:00+01:00", 422, "outside_schedule"),
                                ("2026-11-23T08:00:00+01:00", 400, "validation_error")]:
        assert_refused(dbsession, lambda status: api(tenant.operator).post(postpone, {"start": start}, status=status),
                       status, code, "start")
    assert api(tenant.operator).get(path_of(tenant, second)).json["start"] == "2026-11-26T14:00:00+01:00"


# --- rule 5: the cancellation window, client time, across daylight saving ------------------------


def test_appointment_on_the_10th_cancellation_accepted_on_the_12th_at_2359_refused_on_the_13th(
        api, tenant, dbsession, clock):
    early, late = (book(api, tenant, start="2026-12-10T10:00:00+01:00"),  # Thursday 10 December
                   book(api, tenant, start="2026-12-10T15:00:00+01:00"))
    client_user = api(tenant.client_user)
    clock.now = at("2026-12-12T23:59:00+01:00")
    request = client_user.post(path_of(tenant, early) + "/cancellation-request", {"reason": "wrong_target"}).json
    assert (request["state"], request["requested_at"]) == ("pending", "2026-12-12T23:59:00+01:00")
    clock.now = at("2026-12-12T23:59:59+01:00")
    client_user.post(path_of(tenant, late) + "/cancellation-request", {"reason": "duplicate"})
    api(tenant.account_manager).post(path_of(tenant, late) + "/cancellation-request/reject", status=200)
    clock.now = at("2026-12-13T00:00:00+01:00")
    for appointment in (early, late):
        assert_refused(dbsession, lambda status: client_user.post(
            path_of(tenant, appointment) + "/cancellation-request", {"reason": "other"}, status=status),
            422, "cancellation_window_closed", "reason")


def test_the_cancellation_window_ends_at_midnight_client_time_after_the_clocks_go_back(
        api, tenant, dbsession, clock):
    """Friday 23 October 2026 (+02:00): the window ends at 00:00 of Monday 26 (+01:00), 49 hours after
    the 24th began, as the clocks went back on Sunday 25: 23:30 of the 25th is still inside."""
    clock.now = at("2026-10-19T09:00:00+02:00")
    first, second, third = (book(api, tenant, start=f"2026-10-23T{hour}:00:00+02:00") for hour in ("10", "12", "15"))
    zone_manager = api(tenant.zone_manager)
    for appointment, moment in [(first, "2026-10-25T23:30:00+01:00"), (second, "2026-10-25T23:59:59+01:00")]:
        clock.now = at(moment)
        zone_manager.post(path_of(tenant, appointment) + "/cancellation-request", {"reason": "prospect_unreachable"})
    clock.now = at("2026-10-26T00:00:00+01:00")
    assert_refused(dbsession, lambda status: zone_manager.post(
        path_of(tenant, third) + "/cancellation-request", {"reason": "prospect_unreachable"}, status=status),
        422, "cancellation_window_closed", "reason")


def test_cancellation_reasons(api, tenant, dbsession, clock):
    booked = book(api, tenant)
    request = path_of(tenant, booked) + "/cancellation-request"
    client_user = api(tenant.client_user)
    assert_refused(dbsession, lambda status: client_user.post(request, {"reason": "not_looked_at_portal"},
                                                              status=status), 422, "reason_not_allowed", "reason")
    assert_refused(dbsession, lambda status: client_user.post(request, {"reason": "bored"}, status=status),
                   400, "validation_error", "reason")
    api(tenant.agent_user).post(path_of(tenant, booked) + "/contacted", status=200)
    assert_refused(dbsession, lambda status: client_user.post(request, {"reason": "prospect_disowns"},
                                                              status=status), 422, "reason_not_allowed", "reason")


# --- rule 6: unavailability notice ---------------------------------------------------------------


UNAVAILABLE_27 = {"start": "2026-11-27T00:00:00+01:00", "end": "2026-11-28T00:00:00+01:00", "reason": "Fair"}


def test_unavailability_on_the_27th_accepted_on_the_19th_refused_on_the_20th(api, tenant, dbsession, clock):
    agent = api(tenant.agent_user)
    path = agent_folder(tenant) + "/unavailabilities"
    clock.now = at("2026-11-20T00:00:00+01:00")
    assert_refused(dbsession, lambda status: agent.post(path, UNAVAILABLE_27, status=status),
                   422, "notice_too_short", "start")
    clock.now = at("2026-11-19T23:59:59+01:00")
    created = agent.post(path, UNAVAILABLE_27).json
    assert (created["start"], created["end"], created["reason"]) == ("2026-11-27T00:00:00+01:00",
                                                                     "2026-11-28T00:00:00+01:00", "Fair")
    assert [item["id"] for item in agent.get(path).json["items"]] == [created["id"]]


def test_account_managers_override_the_notice_with_a_recorded_reason(api, tenant, dbsession, clock):
    path = agent_folder(tenant) + "/unavailabilities"
    manager = api(tenant.account_manager)
    assert_refused(dbsession, lambda status: manager.post(path, UNAVAILABLE_27, status=status),
                   422, "notice_too_short", "start")
    manager.post(path, {**UNAVAILABLE_27, "override": "Hospital visit, agreed by phone"})
    declared = api(tenant.client_user).get(agent_folder(tenant) + "/changes").json["items"][0]
    assert (declared["subject"], declared["action"], declared["actor"]) == (
        "unavailability", "declared", tenant.account_manager.email)
    assert declared["after"]["override"] == "Hospital visit, agreed by phone"
    assert declared["after"]["start"] == "2026-11-26T23:00:00+00:00"


@pytest.mark.parametrize("role, folders", [("client", ("client", "zone", "agent")), ("zone_manager", ("zone", "agent")),
                                           ("agent", ("agent",))])
def test_only_account_managers_may_override_the_notice(api, tenant, dbsession, clock, role, folders):
    """In the folders where each may declare (the role matrix has the others), the override is refused."""
    user = api(tenant.user(role))
    paths = {"client": f"/clients/{tenant.client.slug}", "zone": zone_folder(tenant), "agent": agent_folder(tenant)}
    for folder in folders:
        assert_refused(dbsession, lambda status: user.post(
            paths[folder] + "/unavailabilities", {**UNAVAILABLE_27, "override": "Please"}, status=status),
            403, "forbidden", "override")


# --- rules 5 and 11: decisions, counts and recoveries --------------------------------------------


def test_an_approved_cancellation_frees_the_place_and_owes_a_recovery(api, tenant, dbsession, clock):
    booked = book(api, tenant)
    path = path_of(tenant, booked)
    api(tenant.client_user).post(path + "/cancellation-request", {"reason": "wrong_target", "notes": "Shop closed"})
    assert counts(api, tenant) == {"taken": 1, "to_confirm": 1, "cancelled": 0, "recovered": 0}
    decided = api(tenant.account_manager).post(path + "/cancellation-request/approve", {"notes": "Fair"},
                                               status=200).json
    assert (decided["state"], decided["decision_notes"], decided["decided_at"]) == (
        "approved", "Fair", "2026-11-23T09:00:00+01:00")
    assert counts(api, tenant) == {"taken": 0, "to_confirm": 0, "cancelled": 1, "recovered": 0}
    cancelled = api(tenant.client_user).get(path).json
    assert (cancelled["state"], cancelled["cancel_reason"], cancelled["cancelled_at"]) == (
        "cancelled", "wrong_target", "2026-11-23T09:00:00+01:00")
    dbsession.expire_all()
    recovery = dbsession.execute(select(Recovery)).scalar_one()
    assert (recovery.state, recovery.cancelled_appointment.number) == ("owed", booked["number"])
    assert [change["action"] for change in history(api, tenant, booked)] == [
        "approved", "cancelled", "requested", "booked"]

    operator = api(tenant.operator)
    url = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"
    early = operator.post(url, {"agent": tenant.agent.slug, "start": "2026-11-27T10:00:00+01:00",
                                "prospect": PROSPECT, "recovers": booked["number"]}, status=400).json
    assert early["error"]["field"] == "recovers"  # owed, not released before the end of the step
    release_for(dbsession, tenant.campaign, clock.now)
    dbsession.flush()
    replacement = book(api, tenant, start="2026-11-27T10:00:00+01:00", recovers=booked["number"])
    assert counts(api, tenant) == {"taken": 1, "to_confirm": 1, "cancelled": 1, "recovered": 1}
    dbsession.expire_all()
    assert (recovery.state, recovery.replacement.number) == ("booked", replacement["number"])
    # Recovered once: the same number again, an active appointment or an unknown one owe nothing.
    for number in (booked["number"], replacement["number"], 99):
        assert_refused(dbsession, lambda status: operator.post(url, {
            "agent": tenant.agent.slug, "start": "2026-11-30T10:00:00+01:00", "prospect": PROSPECT,
            "recovers": number}, status=status), 400, "validation_error", "recovers")


def test_a_rejected_cancellation_changes_nothing_but_the_history(api, tenant, dbsession, clock):
    booked = book(api, tenant)
    path = path_of(tenant, booked)
    api(tenant.zone_manager).post(path + "/cancellation-request", {"reason": "duplicate"})
    before = written(dbsession)
    decided = api(tenant.account_manager).post(path + "/cancellation-request/reject", {"notes": "Not a duplicate"},
                                               status=200).json
    after = written(dbsession)
    assert (decided["state"], decided["decision_notes"]) == ("rejected", "Not a duplicate")
    for unchanged in ("appointments", "counters", "numbers", "unavailabilities", "recoveries"):
        assert after[unchanged] == before[unchanged], unchanged
    assert after["changes"][0][0] == before["changes"][0][0] + 1
    assert [state for _, state, _ in after["requests"]] == ["rejected"]
    assert api(tenant.client_user).get(path + "/cancellation-request").json == decided
    rejected = history(api, tenant, booked)[0]
    assert (rejected["subject"], rejected["action"], rejected["after"]) == (
        "cancellation_request", "rejected", {"state": "rejected", "notes": "Not a duplicate"})


def test_a_disowned_appointment_without_contact_opens_a_request_for_an_account_manager(api, tenant, dbsession,
                                                                                      clock):
    booked, contacted = book(api, tenant), book(api, tenant, start="2026-11-26T14:00:00+01:00")
    api(tenant.agent_user).post(path_of(tenant, contacted) + "/contacted", status=200)
    clock.now = at("2026-11-25T11:00:00+01:00")
    operator = api(tenant.operator)
    disowned = operator.post(path_of(tenant, booked) + "/confirmation-call",
                             {"result": "disowned", "notes": "Never asked for it"}, status=200).json
    kept = operator.post(path_of(tenant, contacted) + "/confirmation-call", {"result": "disowned"}, status=200).json
    assert (disowned["state"], disowned["disowned_at"]) == ("to_confirm", "2026-11-25T11:00:00+01:00")
    assert (kept["state"], kept["disowned_at"], kept["contacted_at"]) == (
        "to_confirm", "2026-11-25T11:00:00+01:00", "2026-11-23T09:00:00+01:00")
    assert counts(api, tenant) == {"taken": 2, "to_confirm": 2, "cancelled": 0, "recovered": 0}  # rule 5
    requests = dbsession.execute(select(CancellationRequest)).scalars().all()
    assert [(r.reason, r.state, r.notes) for r in requests] == [("prospect_disowns", "pending", "Never asked for it")]
    assert requests[0].appointment_id == dbsession.execute(select(Appointment.id).where(
        Appointment.client_id == tenant.client.id, Appointment.number == booked["number"])).scalar_one()

    api(tenant.account_manager).post(path_of(tenant, booked) + "/cancellation-request/approve", status=200)
    assert counts(api, tenant) == {"taken": 1, "to_confirm": 1, "cancelled": 1, "recovered": 0}
    dbsession.expire_all()
    assert [recovery.cancelled_appointment.number for recovery in dbsession.execute(select(Recovery)).scalars()] \
        == [booked["number"]]


def test_contact_is_refused_from_the_meetings_start(api, tenant, dbsession, clock):
    booked = book(api, tenant)  # Thursday 26 November at 10:00 in Rome
    agent = api(tenant.agent_user)
    clock.now = at("2026-11-26T10:00:00+01:00")
    assert_refused(dbsession, lambda status: agent.post(path_of(tenant, booked) + "/contacted", status=status),
                   409, "conflict", "contacted")
    clock.now = at("2026-11-26T09:59:00+01:00")
    assert agent.post(path_of(tenant, booked) + "/contacted", status=200).json["contacted_at"] == \
        "2026-11-26T09:59:00+01:00"


def test_an_outcome_after_the_meeting(api, tenant, clock):
    booked = book(api, tenant)
    clock.now = at("2026-11-26T10:00:00+01:00")
    recorded = api(tenant.agent_user).post(path_of(tenant, booked) + "/outcome",
                                           {"outcome": "no_show", "notes": "Nobody there"}, status=200).json
    assert (recorded["outcome"], recorded["outcome_notes"], recorded["state"]) == ("no_show", "Nobody there",
                                                                                   "to_confirm")


# --- illegal transitions: 409 conflict with a message --------------------------------------------


def test_confirming_twice_is_a_conflict(api, tenant, dbsession):
    booked = book(api, tenant)
    agent = api(tenant.agent_user)
    agent.post(path_of(tenant, booked) + "/confirm", status=200)
    error = assert_refused(dbsession, lambda status: agent.post(path_of(tenant, booked) + "/confirm", status=status),
                           409, "conflict", "state")
    assert "confirm" in error["message"].lower() or "conferm" in error["message"].lower()


def test_an_outcome_before_the_meeting_is_a_conflict(api, tenant, dbsession, clock):
    booked = book(api, tenant)
    clock.now = at("2026-11-26T09:59:59+01:00")
    assert_refused(dbsession, lambda status: api(tenant.agent_user).post(
        path_of(tenant, booked) + "/outcome", {"outcome": "held"}, status=status), 409, "conflict", "outcome")


def test_a_second_pending_request_and_a_decision_without_one_are_conflicts(api, tenant, dbsession):
    booked = book(api, tenant)
    request = path_of(tenant, booked) + "/cancellation-request"
    manager = api(tenant.account_manager)
    for action in ("approve", "reject"):
        assert_refused(dbsession, lambda status: manager.post(request + "/" + action, status=status),
                       409, "conflict", None)
    api(tenant.client_user).post(request, {"reason": "wrong_target"})
    assert_refused(dbsession, lambda status: api(tenant.zone_manager).post(request, {"reason": "duplicate"},
                                                                           status=status), 409, "conflict", "reason")
    manager.post(request + "/reject", status=200)
    for action in ("approve", "reject"):  # decided already: nothing pending any more
        assert_refused(dbsession, lambda status: manager.post(request + "/" + action, status=status),
                       409, "conflict", None)


def test_nothing_can_be_done_to_a_cancelled_appointment(api, tenant, dbsession, clock):
    booked = book(api, tenant)
    path = path_of(tenant, booked)
    api(tenant.client_user).post(path + "/cancellation-request", {"reason": "wrong_target"})
    api(tenant.account_manager).post(path + "/cancellation-request/approve", status=200)
    admin = api(tenant.admin)
    attempts = [
        ("/confirm", {}, "state"), ("/postpone", {"start": "2026-11-27T10:00:00+01:00"}, "state"),
        ("/contacted", {}, "state"), ("/confirmation-call", {"result": "confirmed"}, "state"),
        ("/confirmation-call", {"result": "disowned"}, "state"),
        ("/confirmation-call", {"result": "postponed", "start": "2026-11-27T10:00:00+01:00"}, "state"),
        ("/cancellation-request", {"reason": "other"}, "state"),
        ("/cancellation-request/approve", {}, None), ("/cancellation-request/reject", {}, None),
    ]
    for suffix, body, field in attempts:
        assert_refused(dbsession, lambda status: admin.post(path + suffix, body, status=status), 409, "conflict",
                       field)
    clock.now = at("2026-11-26T12:00:00+01:00")
    assert_refused(dbsession, lambda status: admin.post(path + "/outcome", {"outcome": "held"}, status=status),
                   409, "conflict", "state")


# --- worklists -----------------------------------------------------------------------------------


def worklist(api, user, name):
    return [(item["client"], item["number"]) for item in api(user).get(f"/callcenter/{name}").json["items"]]


def test_the_confirmation_worklist_lists_tomorrows_appointments_to_confirm(api, tenant, clock):
    thursday, friday = book(api, tenant), book(api, tenant, start="2026-11-27T10:00:00+01:00")
    confirmed = book(api, tenant, start="2026-11-26T14:00:00+01:00")
    api(tenant.agent_user).post(path_of(tenant, confirmed) + "/confirm", status=200)
    slug = tenant.client.slug
    clock.now = at("2026-11-25T09:00:00+01:00")
    assert worklist(api, tenant.operator, "confirmations") == [(slug, thursday["number"])]
    api(tenant.operator).post(path_of(tenant, thursday) + "/confirmation-call", {"result": "confirmed"}, status=200)
    assert worklist(api, tenant.operator, "confirmations") == []
    # Thursday 00:30 in Rome is still Wednesday in UTC: tomorrow is Friday, client time.
    clock.now = at("2026-11-26T00:30:00+01:00")
    assert worklist(api, tenant.operator, "confirmations") == [(slug, friday["number"])]


def test_worklists_show_an_account_manager_only_the_portfolio(api, tenant, dbsession, clock):
    other = Tenant(dbsession)
    ours, theirs = book(api, tenant), book(api, other)
    clock.now = at("2026-11-25T09:00:00+01:00")
    assert worklist(api, tenant.account_manager, "confirmations") == [(tenant.client.slug, ours["number"])]
    assert worklist(api, other.account_manager, "confirmations") == [(other.client.slug, theirs["number"])]
    assert sorted(worklist(api, tenant.operator, "confirmations")) == sorted(
        [(tenant.client.slug, ours["number"]), (other.client.slug, theirs["number"])])


def test_the_rescheduling_worklist_lists_appointments_caught_by_a_new_unavailability(api, tenant, clock):
    caught = book(api, tenant, start="2026-12-10T10:00:00+01:00")
    elsewhere = book(api, tenant, start="2026-12-10T10:00:00+01:00", agent=tenant.other_agent,
                     prospect=OTHER_ZONE_PROSPECT)
    api(tenant.agent_user).post(agent_folder(tenant) + "/unavailabilities",
                                {"start": "2026-12-10T00:00:00+01:00", "end": "2026-12-11T00:00:00+01:00"})
    assert worklist(api, tenant.operator, "rescheduling") == [(tenant.client.slug, caught["number"])]
    assert api(tenant.operator).get(path_of(tenant, caught)).json["needs_rescheduling"] is True
    assert api(tenant.operator).get(path_of(tenant, elsewhere)).json["needs_rescheduling"] is False
    declared = api(tenant.client_user).get(agent_folder(tenant) + "/changes").json["items"][0]
    assert (declared["action"], declared["after"]["flagged"]) == ("declared", 1)
    moved = api(tenant.operator).post(path_of(tenant, caught) + "/postpone", {"start": "2026-12-11T10:00:00+01:00"},
                                      status=200).json
    assert moved["needs_rescheduling"] is False
    assert worklist(api, tenant.operator, "rescheduling") == []


def test_a_zone_unavailability_flags_the_zones_appointments(api, tenant, clock):
    caught = book(api, tenant, start="2026-12-10T10:00:00+01:00")
    book(api, tenant, start="2026-12-10T10:00:00+01:00", agent=tenant.other_agent, prospect=OTHER_ZONE_PROSPECT)
    api(tenant.zone_manager).post(zone_folder(tenant) + "/unavailabilities",
                                  {"start": "2026-12-10T09:00:00+01:00", "end": "2026-12-10T13:00:00+01:00"})
    assert worklist(api, tenant.operator, "rescheduling") == [(tenant.client.slug, caught["number"])]


# --- recent changes: each folder its own ---------------------------------------------------------


def test_each_folder_shows_its_own_recent_changes(api, tenant, clock):
    ours = book(api, tenant)
    theirs = book(api, tenant, agent=tenant.other_agent, prospect=OTHER_ZONE_PROSPECT)
    api(tenant.agent_user).post(path_of(tenant, ours) + "/confirm", status=200)
    api(tenant.operator).post(path_of(tenant, theirs) + "/postpone", {"start": "2026-11-27T10:00:00+01:00"},
                              status=200)
    api(tenant.account_manager).post(agent_folder(tenant, tenant.other_agent) + "/unavailabilities",
                                     {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T18:00:00+01:00"})
    manager = api(tenant.account_manager)

    def lines(folder):
        """The folder's appointment and unavailability changes (the client's also shows its steps')."""
        return [(item["appointment"], item["action"]) for item in manager.get(folder + "/changes").json["items"]
                if item["subject"] in ("appointment", "unavailability")]

    assert lines(agent_folder(tenant)) == [(ours["number"], "confirmed"), (ours["number"], "booked")]
    assert lines(zone_folder(tenant)) == [(ours["number"], "confirmed"), (ours["number"], "booked")]
    theirs_lines = [(None, "declared"), (theirs["number"], "postponed"), (theirs["number"], "booked")]
    assert lines(agent_folder(tenant, tenant.other_agent)) == theirs_lines
    assert lines(zone_folder(tenant, tenant.other_zone)) == theirs_lines[1:]
    assert sorted(lines(f"/clients/{tenant.client.slug}"), key=str) == sorted(
        lines(agent_folder(tenant)) + theirs_lines, key=str)
    assert [item["action"] for item in history(api, tenant, ours)] == ["confirmed", "booked"]


# --- who may do what: the role matrix ------------------------------------------------------------

# Derived from portal/permissions.py and the resources' __acl__: ClientFolder grants client users
# CLIENT_USER (view, request_cancellation, declare_unavailability), operators OPERATOR (view, book, confirm,
# confirmation_call, outcome), its account manager ACCOUNT_MANAGER (all but request_cancellation);
# ZoneFolder grants its managers ZONE_MANAGER (view, request_cancellation, declare_unavailability);
# AgentFolder grants the agent AGENT_FOLDER (view, declare_unavailability) and the managers of the agent's
# zones ZONE_MANAGER; an appointment grants its agent AGENT (view, confirm, contact, outcome) and its
# zone's managers ZONE_MANAGER; /callcenter grants operators and account managers book and
# confirmation_call; the admin may do everything. "ok" is the success status, "--" is 403 forbidden.
MATRIX = """
action                       permission                client  zone_manager  agent  operator  account_manager  admin
confirm                      confirm                      --        --        ok      ok          ok           ok
postpone                     confirm                      --        --        ok      ok          ok           ok
contacted                    contact                      --        --        ok      --          ok           ok
outcome                      outcome                      --        --        ok      ok          ok           ok
confirmation-call            confirmation_call            --        --        --      ok          ok           ok
request-cancellation         request_cancellation         ok        ok        --      --          --           ok
see-cancellation-request     view                         ok        ok        ok      ok          ok           ok
approve                      decide_cancellation          --        --        --      --          ok           ok
reject                       decide_cancellation          --        --        --      --          ok           ok
history                      view                         ok        ok        ok      ok          ok           ok
declare-client-unavailable   declare_unavailability       ok        --        --      --          ok           ok
client-unavailabilities      view                         ok        --        --      ok          ok           ok
declare-zone-unavailable     declare_unavailability       ok        ok        --      --          ok           ok
zone-unavailabilities        view                         ok        ok        --      ok          ok           ok
declare-agent-unavailable    declare_unavailability       ok        ok        ok      --          ok           ok
agent-unavailabilities       view                         ok        ok        ok      ok          ok           ok
client-changes               view                         ok        --        --      ok          ok           ok
zone-changes                 view                         ok        ok        --      ok          ok           ok
agent-changes                view                         ok        ok        ok      ok          ok           ok
confirmation-worklist        confirmation_call            --        --        --      ok          ok           ok
rescheduling-worklist        confirmation_call            --        --        --      ok          ok           ok
bookable-campaigns           book                         --        --        --      ok          ok           ok
recoveries-worklist          book                         --        --        --      ok          ok           ok
"""


def parse_matrix(text):
    table = {}
    lines = [line.split() for line in text.strip().splitlines()]
    header = lines[0][2:]
    assert tuple(header) == ROLES
    for action, _permission, *cells in lines[1:]:
        table[action] = dict(zip(header, (cell == "ok" for cell in cells)))
    return table


ALLOWED = parse_matrix(MATRIX)
SLOTS = ["09:00", "10:30", "12:00", "13:30", "15:00", "16:30"]  # Thursday 26: 60 minutes + 30 of travel
FUTURE = {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T18:00:00+01:00", "reason": "Training"}


class Scene:
    """What each action needs: a fresh appointment for each role, in the state the action expects."""

    def __init__(self, api, tenant, clock):
        self.api, self.tenant, self.clock = api, tenant, clock

    def appointment(self, index, request=False):
        self.clock.now = NOW
        booked = book(self.api, self.tenant, start=f"2026-11-26T{SLOTS[index]}:00+01:00")
        if request:
            self.api(self.tenant.client_user).post(path_of(self.tenant, booked) + "/cancellation-request",
                                                   {"reason": "wrong_target"})
        return path_of(self.tenant, booked)

    def call(self, action, index):
        """(method, path, body, success status) of ``action`` on fresh things for the index-th role."""
        tenant, client = self.tenant, f"/clients/{self.tenant.client.slug}"
        if action in ("confirm", "contacted", "history"):
            return ("get" if action == "history" else "post"), self.appointment(index) + "/" + action, {}, 200
        if action == "postpone":
            return "post", self.appointment(index) + "/postpone", {"start": f"2026-11-27T{SLOTS[index]}:00+01:00"}, 200
        if action == "outcome":
            path = self.appointment(index)
            self.clock.now = at("2026-11-26T18:00:00+01:00")
            return "post", path + "/outcome", {"outcome": "held", "notes": "Signed"}, 200
        if action == "confirmation-call":
            return "post", self.appointment(index) + "/confirmation-call", {"result": "confirmed"}, 200
        if action == "request-cancellation":
            return "post", self.appointment(index) + "/cancellation-request", {"reason": "wrong_target"}, 201
        if action == "see-cancellation-request":
            return "get", self.appointment(index, request=True) + "/cancellation-request", {}, 200
        if action in ("approve", "reject"):
            return "post", self.appointment(index, request=True) + "/cancellation-request/" + action, {}, 200
        folders = {"client": client, "zone": zone_folder(tenant), "agent": agent_folder(tenant)}
        if action.startswith("declare-"):
            return "post", folders[action.split("-")[1]] + "/unavailabilities", FUTURE, 201
        if action.endswith("-unavailabilities") or action.endswith("-changes"):
            folder, what = action.split("-")
            return "get", folders[folder] + "/" + what, {}, 200
        return "get", {"confirmation-worklist": "/callcenter/confirmations",
                       "rescheduling-worklist": "/callcenter/rescheduling",
                       "bookable-campaigns": "/callcenter",
                       "recoveries-worklist": "/callcenter/recoveries"}[action], {}, 200


def send(client, method, path, body, status):
    if method == "get":
        return client.get(path, status=status)
    return client.post(path, body, status=status)


@pytest.mark.parametrize("action", list(ALLOWED))
def test_role_matrix(api, tenant, dbsession, clock, action):
    scene = Scene(api, tenant, clock)
    for index, role in enumerate(ROLES):
        method, path, body, success = scene.call(action, index)
        client = api(tenant.user(role))
        if ALLOWED[action][role]:
            changes = change_count(dbsession)
            response = send(client, method, path, body, status=success)
            assert response.status_int == success, (action, role)
            if method == "post":  # every change is in the history
                assert change_count(dbsession) > changes, (action, role)
        else:
            assert_refused(dbsession, lambda status: send(client, method, path, body, status), 403, "forbidden",
                           None)


def test_the_matrix_has_a_row_for_each_life_view(app):
    """One row per API view of the appointment's life (tests/functional/test_openapi.py lists them):
    a new view without its row in the matrix fails here."""
    from tests.functional.test_openapi import LIFE_OPERATION_OF_VIEW, api_views

    views = {view for view in api_views(app.registry) if view in LIFE_OPERATION_OF_VIEW}
    assert len(views) == len(LIFE_OPERATION_OF_VIEW) == len(ALLOWED)
    assert all(len(row) == len(ROLES) for row in ALLOWED.values())


# --- another tenant, another agent, another zone -------------------------------------------------


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "account_manager"])
def test_another_tenants_users_get_403_on_our_things_and_404_on_names_we_do_not_have(
        api, tenant, dbsession, clock, role):
    """Operators and admins work for every client (spec §3): the tenant boundary is for the others."""
    other = Tenant(dbsession)
    ours = book(api, tenant)
    path = path_of(tenant, ours)
    api(tenant.client_user).post(path + "/cancellation-request", {"reason": "wrong_target"})
    stranger = api(other.user(role))
    client = f"/clients/{tenant.client.slug}"
    calls = [
        ("post", path + "/confirm", {}), ("post", path + "/postpone", {"start": "2026-11-27T10:00:00+01:00"}),
        ("post", path + "/contacted", {}), ("post", path + "/outcome", {"outcome": "held"}),
        ("post", path + "/confirmation-call", {"result": "confirmed"}), ("get", path + "/history", {}),
        ("get", path, {}), ("post", path + "/cancellation-request", {"reason": "duplicate"}),
        ("get", path + "/cancellation-request", {}), ("post", path + "/cancellation-request/approve", {}),
        ("post", path + "/cancellation-request/reject", {}),
    ]
    for folder in (client, zone_folder(tenant), agent_folder(tenant)):
        calls += [("get", folder + "/unavailabilities", {}), ("post", folder + "/unavailabilities", FUTURE),
                  ("get", folder + "/changes", {})]
    for method, url, body in calls:
        assert_refused(dbsession, lambda status: send(stranger, method, url, body, status), 403, "forbidden", None)
    book(api, other, start="2026-11-27T10:00:00+01:00")
    theirs = book(api, other, start="2026-11-27T14:00:00+01:00")  # a number only the other tenant has
    for method, url, body in [
        ("get", f"{client}/appointments/{theirs['number']}/history", {}),
        ("post", f"{client}/appointments/{theirs['number']}/confirm", {}),
        ("get", f"{client}/zones/{other.zone.slug}/changes", {}),
        ("post", f"{client}/agents/{other.agent.slug}/unavailabilities", FUTURE),
    ]:
        assert_refused(dbsession, lambda status: send(stranger, method, url, body, status), 404, "not_found", None)


def test_an_agent_may_not_touch_another_agents_appointment_nor_folder(api, tenant, dbsession, clock):
    theirs = book(api, tenant, agent=tenant.other_agent, prospect=OTHER_ZONE_PROSPECT)
    path = path_of(tenant, theirs)
    agent = api(tenant.agent_user)
    clock.now = at("2026-11-26T12:00:00+01:00")
    for method, url, body in [
        ("post", path + "/confirm", {}), ("post", path + "/postpone", {"start": "2026-11-27T10:00:00+01:00"}),
        ("post", path + "/contacted", {}), ("post", path + "/outcome", {"outcome": "held"}),
        ("get", path + "/history", {}), ("get", path, {}),
        ("get", agent_folder(tenant, tenant.other_agent) + "/changes", {}),
        ("post", agent_folder(tenant, tenant.other_agent) + "/unavailabilities", FUTURE),
    ]:
        assert_refused(dbsession, lambda status: send(agent, method, url, body, status), 403, "forbidden", None)


def test_a_zone_manager_may_not_touch_an_appointment_of_another_zone(api, tenant, dbsession, clock):
    theirs = book(api, tenant, agent=tenant.other_agent, prospect=OTHER_ZONE_PROSPECT)
    path = path_of(tenant, theirs)
    manager = api(tenant.zone_manager)
    for method, url, body in [
        ("post", path + "/cancellation-request", {"reason": "wrong_target"}), ("get", path + "/history", {}),
        ("get", path + "/cancellation-request", {}), ("post", path + "/confirm", {}),
        ("get", zone_folder(tenant, tenant.other_zone) + "/changes", {}),
        ("post", zone_folder(tenant, tenant.other_zone) + "/unavailabilities", FUTURE),
        ("post", agent_folder(tenant, tenant.other_agent) + "/unavailabilities", FUTURE),
    ]:
        assert_refused(dbsession, lambda status: send(manager, method, url, body, status), 403, "forbidden", None)
