"""What the folder homes show beside the list of upcoming appointments: the agent's day (spec §6, the agent on a phone)."""
from datetime import timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, select

from callcenter.appointments.models import ACTIVE_STATES, Appointment
from callcenter.lifecycle.jobs import day_bounds, local_day


class Meeting(NamedTuple):
    """What the agent's day shows of a meeting, and what its resource's ACL reads (agent_id, zone_id)."""

    number: int
    state: str
    start_at: object
    prospect_name: str
    prospect_company: str | None
    prospect_address: str | None
    prospect_postal_code: str
    prospect_phone: str
    agent_id: int
    zone_id: int | None


@cache
def meetings_statement():
    """Built once per process: the columns of Meeting, an index range of the agent's appointments."""
    a = Appointment.__table__.c
    return (select(*(a[name] for name in Meeting._fields))
            .where(a.agent_id == bindparam("agent_id"), a.state.in_(ACTIVE_STATES), a.end_at > bindparam("now"),
                   a.start_at >= bindparam("start"), a.start_at < bindparam("end"))
            .order_by(a.start_at, a.id))


def agent_days(dbsession, agent_id, tz, now):
    """[(day, [meetings])] of today and tomorrow in the client's calendar: the agent's active meetings
    still to come today, then tomorrow's, by time (a day without meetings is listed empty)."""
    today = local_day(now, tz)
    start, _end = day_bounds(today, tz)
    _start, end = day_bounds(today + timedelta(days=1), tz)
    meetings = dbsession.execute(meetings_statement(),
                                 {"agent_id": agent_id, "now": now, "start": start, "end": end}).all()
    days = [(today, []), (today + timedelta(days=1), [])]
    for meeting in meetings:
        days[0 if local_day(meeting.start_at, tz) == today else 1][1].append(Meeting(*meeting))
    return days
