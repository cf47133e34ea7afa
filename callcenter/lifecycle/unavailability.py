"""Rule 6: declaring an unavailability, and flagging the appointments it catches."""
from sqlalchemy import or_, select, update

from agents.availability import check_unavailability_notice
from agents.models import Unavailability, agent_zones
from callcenter.appointments.models import ACTIVE_STATES, Appointment
from callcenter.appointments.rules import as_utc
from portal.errors import RuleViolation
from portal.history import record
from portal.i18n import _


def declare_unavailability(dbsession, client, *, start, end, reason, actor, now, agent=None, zone=None,
                           override_reason=None, may_override=False):
    """An agent, a zone or the whole client is away from ``start`` to ``end``.

    At least 8 days' notice, unless an account manager overrides it with a
    reason, which is recorded. Appointments already inside are flagged for
    rescheduling and listed for operators.
    """
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise RuleViolation("validation_error", _("end_before_start", default="The end is before the start."), "end")
    if override_reason and not may_override:
        raise RuleViolation("forbidden", _("override_not_allowed", default="Only an account manager may override "
                                           "the notice."), "override")
    check_unavailability_notice(start, now, client.timezone, override_reason if may_override else None)
    unavailability = Unavailability(
        client_id=client.id, agent_id=agent.id if agent else None, zone_id=zone.id if zone else None,
        start_at=start, end_at=end, reason=reason or "", declared_by_id=actor.id, created_at=now,
    )
    dbsession.add(unavailability)
    dbsession.flush()
    flagged = flag_caught_appointments(dbsession, client, start, end, agent=agent, zone=zone)
    record(dbsession, client_id=client.id, subject="unavailability", action="declared",
           after={"start": start.isoformat(), "end": end.isoformat(), "reason": reason or "",
                  "override": override_reason or None, "flagged": flagged},
           actor=actor, at=now, agent_id=agent.id if agent else None, zone_id=zone.id if zone else None)
    return unavailability


def flag_caught_appointments(dbsession, client, start, end, agent=None, zone=None):
    """Mark the active appointments inside the period; returns how many."""
    scope = Appointment.client_id == client.id
    if agent is not None:
        scope = Appointment.agent_id == agent.id
    elif zone is not None:
        scope = or_(Appointment.zone_id == zone.id, Appointment.agent_id.in_(
            select(agent_zones.c.agent_id).where(agent_zones.c.zone_id == zone.id)))
    result = dbsession.execute(
        update(Appointment)
        .where(scope, Appointment.state.in_(ACTIVE_STATES), Appointment.start_at < end, Appointment.end_at > start)
        .values(needs_rescheduling=True),
        execution_options={"synchronize_session": False},
    )
    dbsession.expire_all()
    return result.rowcount
