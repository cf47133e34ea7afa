"""After booking: confirm, postpone, contact, disown, outcome, cancellation requests (spec §5 rules 2-5, 11).

Each function is one business operation in the request's transaction: it
checks the rules, changes the appointment, moves the campaign's counters and
records the change in the history.
"""

from sqlalchemy import select

from agents.models import agent_zones
from callcenter.lifecycle import notifications
from callcenter.booking.services import check_agent_of_campaign, check_calendar, flush_refusing_overlaps, lock_agent_calendar
from callcenter.booking.holds import refuse_if_held_by_others
from callcenter.appointments.counters import count_move, count_state_change
from callcenter.appointments.models import Appointment, CancellationRequest, Recovery
from callcenter.appointments.overlaps import busy_over
from callcenter.appointments.rules import appointment_span, as_utc, check_cancellation_reason, check_cancellation_window
from callcenter.appointments.states import (check_active, check_contact_time, check_outcome_time, contacted_before_meeting,
                               counter_deltas, next_state)
from campaigns.services import change_counters
from portal.errors import RuleViolation
from portal.history import record
from portal.i18n import _


def confirm(dbsession, appointment, *, actor, now):
    """Rule 2: confirmation is never blocked by the insertion cutoff."""
    lock_appointment(dbsession, appointment)
    before = snapshot(appointment)
    set_state(dbsession, appointment, next_state("confirm", appointment.state))
    appointment.confirmed_at = now
    note(dbsession, appointment, "confirmed", before, actor, now)
    return appointment


def postpone(dbsession, appointment, *, start, actor, now, agent=None):
    """Rule 2: a new time (and maybe another agent of the zone) that must be free, cutoff aside.

    The appointment keeps its number, its state and its history.
    """
    lock_appointment(dbsession, appointment)
    check_active(appointment.state)
    campaign = appointment.campaign
    agent = agent or appointment.agent
    if agent.id != appointment.agent_id:
        check_agent_of_campaign(agent, campaign)
        check_same_zone(dbsession, appointment, agent)
    start, end, busy_until = appointment_span(start, campaign.appointment_minutes, campaign.buffer_minutes)
    if start <= as_utc(now):
        raise RuleViolation("validation_error", _("start_in_the_past", default="The new time has already passed."),
                            "start")
    check_calendar(dbsession, campaign, agent, start, end, out_of_schedule=False, may_book_out_of_schedule=False)
    lock_agent_calendar(dbsession, agent.id)
    refuse_if_overlapping(dbsession, appointment, agent.id, start, busy_until)
    refuse_if_held_by_others(dbsession, agent.id, start, busy_until, actor.id, now, campaign.client.timezone)
    before = snapshot(appointment)
    count_move(dbsession, appointment, agent_id=agent.id)  # the same zone (check_same_zone)
    appointment.agent_id, appointment.agent = agent.id, agent
    appointment.start_at, appointment.end_at, appointment.busy_until = start, end, busy_until
    appointment.needs_rescheduling = False
    flush_refusing_overlaps(dbsession)
    note(dbsession, appointment, "postponed", before, actor, now)
    return appointment


def mark_contacted(dbsession, appointment, *, actor, now):
    """Rule 4: the agent contacted the prospect before the meeting; from now on the appointment stays valid."""
    check_active(appointment.state)
    check_contact_time(appointment.start_at, now)
    if appointment.contacted_at is None:
        before = snapshot(appointment)
        appointment.contacted_at = now
        note(dbsession, appointment, "contacted", before, actor, now)
    return appointment


def disown(dbsession, appointment, *, actor, now, notes=""):
    """The prospect disowns the meeting on the confirmation call (rule 3); returns the request opened or None.

    Only an approved cancellation changes the counts (rule 5): without the agent's contact before the
    meeting, a cancellation request "prospect disowns" is opened for an account manager to decide. After
    the contact the disowning is only recorded: the appointment stays valid (rule 4). A request already
    pending is left to its decision.
    """
    check_active(appointment.state)
    opens_request = not (contacted_before_meeting(appointment.contacted_at, appointment.start_at)
                         or pending_request(dbsession, appointment) is not None)
    if opens_request:  # refused before anything is written
        check_cancellation_window(appointment.start_at, now, appointment.client.timezone)
    before = snapshot(appointment)
    appointment.disowned_at = now
    note(dbsession, appointment, "disowned", before, actor, now)
    if not opens_request:
        return None
    return request_cancellation(dbsession, appointment, reason="prospect_disowns", notes=notes, actor=actor, now=now)


def record_outcome(dbsession, appointment, *, outcome, notes, actor, now):
    """What happened at the meeting: held, no_show or excused, with notes."""
    check_active(appointment.state)
    check_outcome_time(appointment.start_at, now)
    before = snapshot(appointment)
    appointment.outcome, appointment.outcome_notes = outcome, notes or ""
    note(dbsession, appointment, "outcome", before, actor, now)
    return appointment


def request_cancellation(dbsession, appointment, *, reason, notes, actor, now):
    """Rule 5: within the window, for an accepted reason, one pending request at a time."""
    check_active(appointment.state)
    check_cancellation_window(appointment.start_at, now, appointment.client.timezone)
    check_cancellation_reason(reason, contacted=contacted_before_meeting(appointment.contacted_at,
                                                                         appointment.start_at))
    if pending_request(dbsession, appointment) is not None:
        raise RuleViolation("conflict", _("request_pending", default="A cancellation request is already pending."),
                            "reason")
    request = CancellationRequest(appointment_id=appointment.id, reason=reason, notes=notes or "", state="pending",
                                  requested_by_id=actor.id, requested_at=now)
    dbsession.add(request)
    dbsession.flush()
    record(dbsession, client_id=appointment.client_id, subject="cancellation_request", action="requested",
           after={"reason": reason, "notes": notes or ""}, actor=actor, at=now, appointment=appointment)
    notifications.request_notice(dbsession, request, now)  # spec §8: the account manager is told
    return request


def decide_cancellation(dbsession, request, appointment, *, approve, notes, actor, now):
    """An account manager approves (the place is freed, a recovery is owed) or rejects."""
    lock_appointment(dbsession, appointment)
    dbsession.refresh(request)  # as the decision before ours, if any, left it
    if request.state != "pending":
        raise RuleViolation("conflict", _("request_decided", default="This request has already been decided."),
                            "state")
    request.state = "approved" if approve else "rejected"
    request.decided_by_id, request.decided_at, request.decision_notes = actor.id, now, notes or ""
    if approve:
        before = snapshot(appointment)
        cancel(dbsession, appointment, reason=request.reason, now=now)
        note(dbsession, appointment, "cancelled", before, actor, now)
    record(dbsession, client_id=appointment.client_id, subject="cancellation_request", action=request.state,
           before={"state": "pending"}, after={"state": request.state, "notes": notes or ""}, actor=actor, at=now,
           appointment=appointment)
    notifications.request_notice(dbsession, request, now)  # spec §8: the requester is told
    return request


def cancel(dbsession, appointment, *, reason, now):
    """Free the place in *taken* and owe the client a recovery (rule 11)."""
    set_state(dbsession, appointment, next_state("cancel", appointment.state))
    change_counters(dbsession, appointment.campaign_id, recoveries_pending=1)  # the place waits for it
    appointment.cancelled_at, appointment.cancel_reason = now, reason
    appointment.needs_rescheduling = False
    dbsession.add(Recovery(campaign_id=appointment.campaign_id, cancelled_appointment_id=appointment.id,
                           state="owed", created_at=now))


def lock_appointment(dbsession, appointment):
    """Lock the appointment's row and read it again, first thing in an operation that changes its state
    or agent: two such operations at once queue, and the second one sees what the first did (a conflict,
    not counters moved twice nor from the wrong agent). Then the campaign, the agent's calendar, the
    client and the folders' counters, as for a booking."""
    dbsession.flush()  # what this transaction already changed is not read over
    dbsession.refresh(appointment, with_for_update=True)


def set_state(dbsession, appointment, state):
    """The new state, with the counters of the campaign and of the agent's and zone's folders."""
    change_counters(dbsession, appointment.campaign_id, **counter_deltas(appointment.state, state))
    count_state_change(dbsession, appointment, state)
    appointment.state = state


def pending_request(dbsession, appointment):
    return dbsession.execute(
        select(CancellationRequest).where(CancellationRequest.appointment_id == appointment.id,
                                          CancellationRequest.state == "pending")
    ).scalar_one_or_none()


def check_same_zone(dbsession, appointment, agent):
    """Reassigning moves the meeting to another agent of the appointment's zone."""
    works_there = dbsession.execute(
        select(agent_zones.c.agent_id).where(agent_zones.c.agent_id == agent.id,
                                             agent_zones.c.zone_id == appointment.zone_id)
    ).first()
    if not works_there:
        raise RuleViolation("validation_error", _("agent_not_in_zone", default="This agent does not work in the "
                                                  "appointment's zone."), "agent")


def refuse_if_overlapping(dbsession, appointment, agent_id, start, busy_until):
    overlap = select(Appointment.id).where(
        Appointment.agent_id == agent_id,
        Appointment.id != appointment.id,
        busy_over(start, busy_until),
    )
    if dbsession.execute(overlap.limit(1)).first() is not None:
        raise RuleViolation("slot_taken", field="start")


def snapshot(appointment):
    """What the history shows of an appointment before and after a change."""
    return {
        "state": appointment.state,
        "start": appointment.start_at.isoformat(),
        "agent": appointment.agent.slug if appointment.agent is not None else None,
        "contacted": appointment.contacted_at is not None,
        "outcome": appointment.outcome,
    }


def note(dbsession, appointment, action, before, actor, now):
    after = snapshot(appointment)
    changed = {key for key in after if before.get(key) != after[key]}
    record(dbsession, client_id=appointment.client_id, subject="appointment", action=action,
           before={key: before[key] for key in changed}, after={key: after[key] for key in changed},
           actor=actor, at=now, appointment=appointment)
