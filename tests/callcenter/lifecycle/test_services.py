"""The life of an appointment through the services, on both databases (rules 2-6, 11)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from agents.services import create_agent
from callcenter.lifecycle import services as lifecycle
from callcenter.booking.services import book_appointment
from callcenter.appointments.models import Recovery
from callcenter.lifecycle.unavailability import declare_unavailability
from callcenter.workspace.services import WorklistFilters, appointments_to_move, tomorrow_to_confirm
from portal.errors import RuleViolation
from portal.history import Change
from tests.conftest import NOW
from tests.factories import WEEKDAYS_9_TO_18, Tenant

THURSDAY_10 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # 10:00 in Rome
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=5)


@pytest.fixture
def appointment(dbsession, tenant):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=THURSDAY_10,
                            prospect=PROSPECT, booked_by=tenant.operator, now=NOW)


def counters(dbsession, campaign):
    dbsession.refresh(campaign)
    return campaign.taken, campaign.to_confirm, campaign.cancelled, campaign.recovered


def actions(dbsession, appointment):
    return dbsession.execute(
        select(Change.action).where(Change.appointment_id == appointment.id).order_by(Change.id)
    ).scalars().all()


def test_confirm_ten_minutes_before_the_meeting_is_accepted(dbsession, tenant, appointment):
    lifecycle.confirm(dbsession, appointment, actor=tenant.agent_user, now=THURSDAY_10 - timedelta(minutes=10))
    assert appointment.state == "confirmed"
    assert counters(dbsession, tenant.campaign) == (1, 0, 0, 0)


def test_postpone_one_hour_before_the_meeting_is_accepted(dbsession, tenant, appointment):
    lifecycle.postpone(dbsession, appointment, start=THURSDAY_10 + timedelta(hours=4), actor=tenant.operator,
                       now=THURSDAY_10 - timedelta(hours=1))
    assert appointment.start_at == THURSDAY_10 + timedelta(hours=4)
    assert (appointment.number, appointment.state) == (1, "to_confirm")
    assert actions(dbsession, appointment) == ["booked", "postponed"]


def test_postponing_onto_another_appointment_is_slot_taken(dbsession, tenant, appointment):
    book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=THURSDAY_10 + timedelta(hours=3),
                     prospect=PROSPECT, booked_by=tenant.operator, now=NOW)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.postpone(dbsession, appointment, start=THURSDAY_10 + timedelta(hours=3, minutes=30),
                           actor=tenant.operator, now=NOW)
    assert refused.value.code == "slot_taken"


def test_postponing_outside_the_schedule_is_refused(dbsession, tenant, appointment):
    with pytest.raises(RuleViolation) as refused:
        lifecycle.postpone(dbsession, appointment, start=THURSDAY_10 + timedelta(hours=12), actor=tenant.operator,
                           now=NOW)
    assert refused.value.code == "outside_schedule"


def test_reassigning_to_an_agent_of_the_same_zone_is_a_postponement(dbsession, tenant, appointment):
    colleague = create_agent(dbsession, tenant.client, slug="colleague", name="Colleague",
                             zones=[tenant.zone.slug], schedule=WEEKDAYS_9_TO_18)
    lifecycle.postpone(dbsession, appointment, start=THURSDAY_10, agent=colleague, actor=tenant.operator, now=NOW)
    assert appointment.agent_id == colleague.id


def test_reassigning_to_an_agent_of_another_zone_is_refused(dbsession, tenant, appointment):
    with pytest.raises(RuleViolation) as refused:
        lifecycle.postpone(dbsession, appointment, start=THURSDAY_10, agent=tenant.other_agent,
                           actor=tenant.operator, now=NOW)
    assert (refused.value.code, refused.value.field) == ("validation_error", "agent")


def test_approved_cancellation_frees_the_place_and_owes_a_recovery(dbsession, tenant, appointment):
    request = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                             actor=tenant.client_user, now=NOW)
    assert counters(dbsession, tenant.campaign) == (1, 1, 0, 0)
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="ok",
                                  actor=tenant.account_manager, now=NOW)
    assert appointment.state == "cancelled"
    assert counters(dbsession, tenant.campaign) == (0, 0, 1, 0)
    recovery = dbsession.execute(select(Recovery).where(Recovery.cancelled_appointment_id == appointment.id)).scalar()
    assert recovery.state == "owed"


def test_rejected_cancellation_changes_nothing_but_the_history(dbsession, tenant, appointment):
    request = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                             actor=tenant.client_user, now=NOW)
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=False, notes="no",
                                  actor=tenant.account_manager, now=NOW)
    assert appointment.state == "to_confirm"
    assert counters(dbsession, tenant.campaign) == (1, 1, 0, 0)
    assert actions(dbsession, appointment) == ["booked", "requested", "rejected"]


def test_a_second_pending_request_is_a_conflict(dbsession, tenant, appointment):
    lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="", actor=tenant.client_user,
                                   now=NOW)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.request_cancellation(dbsession, appointment, reason="duplicate", notes="", actor=tenant.client_user,
                                       now=NOW)
    assert refused.value.code == "conflict"


def test_prospect_disowns_without_contact_opens_a_request_an_account_manager_decides(dbsession, tenant, appointment):
    request = lifecycle.disown(dbsession, appointment, actor=tenant.operator, now=NOW, notes="Never asked for it")
    assert (request.state, request.reason, request.notes) == ("pending", "prospect_disowns", "Never asked for it")
    assert (appointment.state, appointment.disowned_at) == ("to_confirm", NOW)
    assert counters(dbsession, tenant.campaign) == (1, 1, 0, 0)  # rule 5: no decision, no change of the counts
    assert actions(dbsession, appointment) == ["booked", "disowned", "requested"]
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="",
                                  actor=tenant.account_manager, now=NOW)
    assert (appointment.state, appointment.cancel_reason) == ("cancelled", "prospect_disowns")
    assert counters(dbsession, tenant.campaign) == (0, 0, 1, 0)
    recovery = dbsession.execute(select(Recovery).where(Recovery.cancelled_appointment_id == appointment.id)).scalar()
    assert recovery.state == "owed"


def test_a_disowning_with_a_request_already_pending_leaves_that_request_to_its_decision(dbsession, tenant,
                                                                                       appointment):
    pending = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                             actor=tenant.client_user, now=NOW)
    assert lifecycle.disown(dbsession, appointment, actor=tenant.operator, now=NOW) is None
    assert lifecycle.pending_request(dbsession, appointment) is pending
    assert appointment.disowned_at == NOW


def test_a_disowning_too_late_for_a_request_is_refused_before_anything_is_written(dbsession, tenant, appointment):
    three_days_after = THURSDAY_10 + timedelta(days=3)  # the window closed at midnight of Saturday 28
    with pytest.raises(RuleViolation) as refused:
        lifecycle.disown(dbsession, appointment, actor=tenant.operator, now=three_days_after)
    assert refused.value.code == "cancellation_window_closed"
    assert appointment.disowned_at is None and actions(dbsession, appointment) == ["booked"]


def test_after_the_agents_contact_a_disowned_appointment_stays_valid(dbsession, tenant, appointment):
    lifecycle.mark_contacted(dbsession, appointment, actor=tenant.agent_user, now=NOW)
    assert lifecycle.disown(dbsession, appointment, actor=tenant.operator, now=NOW) is None
    assert appointment.state == "to_confirm" and appointment.disowned_at == NOW
    assert lifecycle.pending_request(dbsession, appointment) is None
    assert counters(dbsession, tenant.campaign) == (1, 1, 0, 0)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.request_cancellation(dbsession, appointment, reason="prospect_disowns", notes="",
                                       actor=tenant.client_user, now=NOW)
    assert refused.value.code == "reason_not_allowed"


# Rule 4 on the day summer time ends in Rome: Sunday 25 October 2026, clocks back from 03:00 to 02:00.
# The meeting at 10:00 Rome is 09:00 UTC (UTC+1 again); read with the summer offset it would be 08:00 UTC.
DST_MEETING = datetime(2026, 10, 25, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def dst_appointment(dbsession, tenant):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=DST_MEETING,
                            prospect=PROSPECT, booked_by=tenant.operator, now=datetime(2026, 10, 20, tzinfo=timezone.utc),
                            out_of_schedule=True, may_book_out_of_schedule=True)  # a Sunday


def test_contact_at_09_30_rome_on_the_dst_day_is_before_the_10_00_meeting(dbsession, tenant, dst_appointment):
    half_an_hour_before = datetime(2026, 10, 25, 8, 30, tzinfo=timezone.utc)  # 09:30 in Rome (UTC+1)
    lifecycle.mark_contacted(dbsession, dst_appointment, actor=tenant.agent_user, now=half_an_hour_before)
    assert dst_appointment.contacted_at == half_an_hour_before


@pytest.mark.parametrize("now", [DST_MEETING, DST_MEETING + timedelta(hours=3)], ids=["at-the-start", "after"])
def test_contact_recorded_from_the_meetings_start_is_refused(dbsession, tenant, dst_appointment, now):
    with pytest.raises(RuleViolation) as refused:
        lifecycle.mark_contacted(dbsession, dst_appointment, actor=tenant.agent_user, now=now)
    assert (refused.value.code, refused.value.field) == ("conflict", "contacted")
    assert dst_appointment.contacted_at is None
    assert actions(dbsession, dst_appointment) == ["booked"]


def test_a_contact_stored_after_the_meeting_does_not_bar_prospect_disowns(dbsession, tenant, dst_appointment):
    dst_appointment.contacted_at = DST_MEETING + timedelta(hours=1)  # as an older version let it be recorded
    request = lifecycle.request_cancellation(dbsession, dst_appointment, reason="prospect_disowns", notes="",
                                             actor=tenant.client_user, now=DST_MEETING + timedelta(hours=2))
    assert request.state == "pending"


def test_outcome_after_the_meeting(dbsession, tenant, appointment):
    with pytest.raises(RuleViolation):
        lifecycle.record_outcome(dbsession, appointment, outcome="held", notes="", actor=tenant.agent_user, now=NOW)
    lifecycle.record_outcome(dbsession, appointment, outcome="no_show", notes="Closed shop",
                             actor=tenant.agent_user, now=THURSDAY_10 + timedelta(hours=2))
    assert (appointment.outcome, appointment.outcome_notes) == ("no_show", "Closed shop")


def test_a_new_unavailability_flags_the_appointments_it_catches(dbsession, tenant, appointment):
    declare_unavailability(dbsession, tenant.client, agent=tenant.agent, start=THURSDAY_10 - timedelta(hours=1),
                           end=THURSDAY_10 + timedelta(hours=8), reason="Sick", actor=tenant.account_manager,
                           now=NOW, override_reason="Sudden illness", may_override=True)
    dbsession.refresh(appointment)
    assert appointment.needs_rescheduling
    assert appointment in dbsession.execute(
        appointments_to_move(dbsession, WorklistFilters(), client_ids=None)).scalars().all()


def test_an_unavailability_at_short_notice_without_override_is_refused(dbsession, tenant):
    with pytest.raises(RuleViolation) as refused:
        declare_unavailability(dbsession, tenant.client, agent=tenant.agent, start=THURSDAY_10,
                               end=THURSDAY_10 + timedelta(hours=8), reason="", actor=tenant.agent_user, now=NOW)
    assert refused.value.code == "notice_too_short"


def test_only_an_account_manager_may_override_the_notice(dbsession, tenant):
    with pytest.raises(RuleViolation) as refused:
        declare_unavailability(dbsession, tenant.client, agent=tenant.agent, start=THURSDAY_10,
                               end=THURSDAY_10 + timedelta(hours=8), reason="", actor=tenant.agent_user, now=NOW,
                               override_reason="please", may_override=False)
    assert refused.value.code == "forbidden"


def test_the_confirmation_worklist_holds_tomorrows_appointments_still_to_confirm(dbsession, tenant, appointment):
    def worklist(now):
        return dbsession.execute(tomorrow_to_confirm(dbsession, WorklistFilters(), None, now)).scalars().all()

    wednesday = THURSDAY_10 - timedelta(days=1)
    assert worklist(wednesday) == [appointment]
    assert worklist(NOW) == []
    lifecycle.confirm(dbsession, appointment, actor=tenant.operator, now=wednesday)
    assert worklist(wednesday) == []
