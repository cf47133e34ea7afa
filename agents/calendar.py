"""Loads what the availability rules need for many agents at once (a few queries, not one per agent)."""
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_, select

from agents.availability import opening_windows
from agents.models import ClosedDay, ScheduleException, Unavailability


def day_bounds(days, tz):
    """The UTC instants of the first day's midnight and the midnight after the last day."""
    zone = ZoneInfo(tz)
    return (datetime.combine(days[0], time(), zone), datetime.combine(days[-1] + timedelta(days=1), time(), zone))


class AgentCalendar:
    """An agent's open windows and unavailabilities over some days."""

    def __init__(self, windows, unavailable):
        self.windows = windows
        self.unavailable = unavailable


def agent_calendars(dbsession, client, agents, days):
    """{agent id: AgentCalendar} for ``agents`` (schedules and zones loaded) over ``days``."""
    ids = [agent.id for agent in agents]
    zone_ids = {zone.id for agent in agents for zone in agent.zones}
    exceptions = _exceptions(dbsession, ids, days)
    closed = _closed_days(dbsession, client.id, ids, zone_ids, days)
    unavailable = _unavailabilities(dbsession, client, ids, zone_ids, days)
    calendars = {}
    for agent in agents:
        agent_zones = {zone.id for zone in agent.zones}
        openings, closures = defaultdict(list), defaultdict(list)
        for exception in exceptions.get(agent.id, []):
            target = openings if exception.kind == "opening" else closures
            target[exception.day].append((exception.start_time, exception.end_time))
        closed_days = {row.day for row in closed if _concerns(row, agent.id, agent_zones)}
        windows = opening_windows(
            days,
            client.timezone,
            [(interval.weekday, interval.start_time, interval.end_time) for interval in agent.schedule],
            openings,
            closures,
            closed_days,
            client.country,
        )
        blocked = [(row.start_at, row.end_at) for row in unavailable if _concerns(row, agent.id, agent_zones)]
        calendars[agent.id] = AgentCalendar(windows, blocked)
    return calendars


def _concerns(row, agent_id, zone_ids):
    """A client-wide row concerns every agent; a zone's row its agents; an agent's row that agent."""
    if row.agent_id is not None:
        return row.agent_id == agent_id
    if row.zone_id is not None:
        return row.zone_id in zone_ids
    return True


def _scope(model):
    """The rows of the client, of the agents' zones and of the agents (bound as agent_ids and zone_ids)."""
    return or_(
        and_(model.agent_id.is_(None), model.zone_id.is_(None)),
        model.zone_id.in_(bindparam("zone_ids", expanding=True)),
        model.agent_id.in_(bindparam("agent_ids", expanding=True)),
    )


# Built once, their values bound per call: a booking reads all three, and building a statement costs
# more than running it.
EXCEPTIONS = select(ScheduleException).where(
    ScheduleException.agent_id.in_(bindparam("agent_ids", expanding=True)),
    ScheduleException.day.between(bindparam("first"), bindparam("last")))
CLOSED_DAYS = select(ClosedDay).where(
    ClosedDay.client_id == bindparam("client_id"), ClosedDay.day.between(bindparam("first"), bindparam("last")),
    _scope(ClosedDay))
UNAVAILABILITIES = select(Unavailability).where(
    Unavailability.client_id == bindparam("client_id"), Unavailability.end_at > bindparam("start"),
    Unavailability.start_at < bindparam("end"), _scope(Unavailability))


def _exceptions(dbsession, agent_ids, days):
    rows = dbsession.execute(EXCEPTIONS, {"agent_ids": agent_ids, "first": days[0], "last": days[-1]}).scalars()
    found = defaultdict(list)
    for row in rows:
        found[row.agent_id].append(row)
    return found


def _closed_days(dbsession, client_id, agent_ids, zone_ids, days):
    return dbsession.execute(CLOSED_DAYS, {"client_id": client_id, "first": days[0], "last": days[-1],
                                           "agent_ids": agent_ids, "zone_ids": list(zone_ids)}).scalars().all()


def _unavailabilities(dbsession, client, agent_ids, zone_ids, days):
    start, end = day_bounds(days, client.timezone)
    return dbsession.execute(UNAVAILABILITIES, {"client_id": client.id, "start": start, "end": end,
                                                "agent_ids": agent_ids, "zone_ids": list(zone_ids)}).scalars().all()
