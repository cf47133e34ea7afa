"""Loads what the availability rules need for many agents at once (a few queries, not one per agent)."""
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (Date, Integer, String, Time, and_, bindparam, cast, literal, null, or_, select,
                        union_all)

from agents.availability import opening_windows
from agents.models import ClosedDay, ScheduleException, Unavailability
from portal.db import UTCDateTime


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
    exceptions, closed, unavailable = _calendar_rows(dbsession, client, ids, zone_ids, days)
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


EXCEPTION, CLOSED_DAY, UNAVAILABILITY = 0, 1, 2  # the parts of CALENDAR_ROWS


def _calendar_statement():
    """The agents' schedule exceptions, closed days and unavailabilities over some days in one statement
    (a booking reads all three: one round trip instead of three), each row tagged with its part. Built
    once, its values bound per call (agent_ids, zone_ids, client_id, first, last, start, end)."""
    exceptions, closed, unavailable = (ScheduleException.__table__.c, ClosedDay.__table__.c,
                                       Unavailability.__table__.c)
    no_zone, no_day, no_kind = cast(null(), Integer), cast(null(), Date), cast(null(), String)
    no_time, no_moment = cast(null(), Time), cast(null(), UTCDateTime())
    return union_all(
        select(literal(EXCEPTION).label("part"), exceptions.agent_id, no_zone.label("zone_id"), exceptions.day,
               exceptions.kind, exceptions.start_time, exceptions.end_time, no_moment.label("start_at"),
               no_moment.label("end_at"))
        .where(exceptions.agent_id.in_(bindparam("agent_ids", expanding=True)),
               exceptions.day.between(bindparam("first"), bindparam("last"))),
        select(literal(CLOSED_DAY), closed.agent_id, closed.zone_id, closed.day, no_kind, no_time, no_time,
               no_moment, no_moment)
        .where(closed.client_id == bindparam("client_id"), closed.day.between(bindparam("first"), bindparam("last")),
               _scope(closed)),
        select(literal(UNAVAILABILITY), unavailable.agent_id, unavailable.zone_id, no_day, no_kind, no_time, no_time,
               unavailable.start_at, unavailable.end_at)
        .where(unavailable.client_id == bindparam("client_id"), unavailable.end_at > bindparam("start"),
               unavailable.start_at < bindparam("end"), _scope(unavailable)),
    )


CALENDAR_ROWS = _calendar_statement()


def _calendar_rows(dbsession, client, agent_ids, zone_ids, days):
    """({agent id: [exception]}, [closed day], [unavailability]) of the agents over ``days``."""
    start, end = day_bounds(days, client.timezone)
    exceptions, closed, unavailable = defaultdict(list), [], []
    for row in dbsession.execute(CALENDAR_ROWS, {
            "agent_ids": agent_ids, "zone_ids": list(zone_ids), "client_id": client.id, "first": days[0],
            "last": days[-1], "start": start, "end": end}):
        if row.part == EXCEPTION:
            exceptions[row.agent_id].append(row)
        else:
            (closed if row.part == CLOSED_DAY else unavailable).append(row)
    return exceptions, closed, unavailable
