"""Rule 10: an operator holds a slot while filling in the prospect; others see it held."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, exists, literal, select

from callcenter.appointments.models import Appointment
from callcenter.appointments.overlaps import busy_over
from callcenter.booking.models import Hold
from portal.errors import RuleViolation
from portal.i18n import _


def _overlapping_holds(agent_id, start, busy_until, now):
    return and_(Hold.agent_id == agent_id, Hold.ended_at.is_(None), Hold.expires_at > now,
                Hold.start_at < busy_until, Hold.busy_until > start)


def _booked(agent_id, start, busy_until):
    """Rule 8: a live appointment of the agent overlapping [start, busy_until)."""
    return exists().where(Appointment.agent_id == agent_id, busy_over(start, busy_until))


def refuse_if_held_by_others(dbsession, agent_id, start, busy_until, operator_id, now, tz):
    """``slot_held`` naming when the other operator's hold frees the slot; returns the operator's own."""
    holds = dbsession.execute(select(Hold).where(_overlapping_holds(agent_id, start, busy_until, now))).scalars().all()
    return _own_holds(holds, operator_id, tz)


def refuse_if_booked(dbsession, agent_id, start, busy_until):
    if dbsession.execute(select(_booked(agent_id, start, busy_until))).scalar():
        raise RuleViolation("slot_taken", field="start")


def _booked_or_held():
    """Rule 8's overlap and rule 10's holds in one SELECT: one row saying whether the slot is booked,
    joined to each live hold on it (agent_id, start, busy_until and now bound per call)."""
    agent_id, start, busy_until, now = (bindparam(name) for name in ("agent_id", "start", "busy_until", "now"))
    one_row = select(literal(1).label("one")).subquery()
    return (select(_booked(agent_id, start, busy_until).label("booked"), Hold)
            .select_from(one_row).outerjoin(Hold, _overlapping_holds(agent_id, start, busy_until, now)))


BOOKED_OR_HELD = _booked_or_held()  # built once: a booking and a hold each run it


def refuse_if_booked_or_held(dbsession, agent_id, start, busy_until, operator_id, now, tz):
    """Both refusals above in one round trip (``slot_taken`` first); returns the operator's own holds.
    Run after the agent's lock, like each of them: one statement sees what the lock's holders wrote."""
    rows = dbsession.execute(BOOKED_OR_HELD, {"agent_id": agent_id, "start": start, "busy_until": busy_until,
                                              "now": now}).all()
    if rows[0].booked:
        raise RuleViolation("slot_taken", field="start")
    return _own_holds([row.Hold for row in rows if row.Hold is not None], operator_id, tz)


def _own_holds(holds, operator_id, tz):
    others = [hold for hold in holds if hold.operator_id != operator_id]
    if others:
        until = max(hold.expires_at for hold in others).astimezone(ZoneInfo(tz)).strftime("%H:%M")
        raise RuleViolation(
            "slot_held",
            _("slot_held_until", default="Another operator is holding this slot until ${until}.",
              mapping={"until": until}),
            "start",
        )
    return [hold for hold in holds if hold.operator_id == operator_id]


def hold_for_booking(dbsession, hold_id, *, campaign, agent, start, operator, now):
    """The operator's live hold on exactly this slot, or the refusal that says why not."""
    hold = dbsession.get(Hold, hold_id)
    if (hold is None or hold.operator_id != operator.id or hold.campaign_id != campaign.id
            or hold.agent_id != agent.id or hold.start_at != start):
        raise RuleViolation("validation_error", _("unknown_hold", default="No hold of yours matches this slot."),
                            "hold")
    if not hold.active_at(now):
        raise RuleViolation("hold_expired", field="hold")
    return hold


def place_hold(dbsession, *, campaign, agent, start, end, busy_until, operator, now):
    """A new hold for ``hold_minutes``; the operator's other live holds on the campaign end."""
    for hold in dbsession.execute(
        select(Hold).where(Hold.operator_id == operator.id, Hold.campaign_id == campaign.id,
                           Hold.ended_at.is_(None), Hold.expires_at > now)
    ).scalars():
        hold.ended_at = now
    hold = Hold(campaign_id=campaign.id, agent_id=agent.id, operator_id=operator.id, start_at=start, end_at=end,
                busy_until=busy_until, expires_at=now + timedelta(minutes=campaign.hold_minutes))
    dbsession.add(hold)
    dbsession.flush()
    return hold


def release_hold(hold, *, now):
    """An operator lets a slot go before the hold runs out."""
    if hold.active_at(now):
        hold.ended_at = now
    return hold
