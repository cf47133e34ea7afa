"""What the folder homes show beside the list of upcoming appointments: the agent's day (issue 17 item 2)."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from callcenter.appointments.models import ACTIVE_STATES, Appointment
from callcenter.lifecycle.jobs import day_bounds, local_day


def agent_days(dbsession, agent_id, tz, now):
    """[(day, [appointments])] of today and tomorrow in the client's calendar: the agent's active meetings
    still to come today, then tomorrow's, by time (a day without meetings is listed empty)."""
    today = local_day(now, tz)
    start, _end = day_bounds(today, tz)
    _start, end = day_bounds(today + timedelta(days=1), tz)
    meetings = dbsession.execute(
        select(Appointment)
        .options(joinedload(Appointment.campaign), joinedload(Appointment.client))
        .where(Appointment.agent_id == agent_id, Appointment.state.in_(ACTIVE_STATES),
               Appointment.end_at > now, Appointment.start_at >= start, Appointment.start_at < end)
        .order_by(Appointment.start_at, Appointment.id)
    ).scalars().all()
    days = [(today, []), (today + timedelta(days=1), [])]
    for meeting in meetings:
        days[0 if local_day(meeting.start_at, tz) == today else 1][1].append(meeting)
    return days
