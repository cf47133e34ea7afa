"""Private calendar feeds (iCalendar) of an agent's or a zone's appointments, for Outlook and Google.

Calendar apps cannot log in, so the feed's URL carries a secret: /feeds/<secret>.ics. Only the
SHA-256 of the secret is stored (like API tokens). The resource found for a secret grants reading
to everyone only while the feed is active and its owner may still subscribe to that folder; any
other name is a plain 404, saying nothing about whether an agent or a feed exists.
"""
import hashlib
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from agents.resources import AgentFolder
from callcenter.appointments.models import Appointment
from callcenter.feeds.models import CalendarFeed
from portal.history import Change
from portal.i18n import _

# How far back a feed reaches: recent meetings stay in the calendar for their notes and outcome.
WEEKS_BACK = 8
MAX_EVENTS = 2000
SUFFIX = ".ics"
# Changes that move or remove the meeting in the subscriber's calendar: each bumps SEQUENCE.
RESCHEDULING_ACTIONS = ("postponed", "cancelled", "disowned")
STATUS_OF_STATE = {"to_confirm": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}


def digest_of(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def scope_of(folder):
    """{"agent_id": ...} or {"zone_id": ...}: what a feed made on this folder lists."""
    if isinstance(folder, AgentFolder):
        return {"agent_id": folder.agent.id}
    return {"zone_id": folder.zone.id}


def active_feed(dbsession, user, scope):
    column, value = next(iter(scope.items()))
    return dbsession.execute(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id, getattr(CalendarFeed, column) == value,
                                   CalendarFeed.revoked_at.is_(None))
    ).scalar_one_or_none()


def issue_feed(dbsession, user, client, scope, *, now):
    """A new private URL for ``user`` on the folder ``scope``; the previous one stops working.

    Returns (feed, secret): the secret is shown once and never stored.
    """
    revoke_feed(dbsession, user, scope, now=now)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, client_id=client.id, digest=digest_of(secret), prefix=secret[:8],
                        created_at=now, **scope)
    dbsession.add(feed)
    dbsession.flush()
    return feed, secret


def revoke_feed(dbsession, user, scope, *, now):
    """The user's URL on this folder stops working at once (404). True when there was one."""
    feed = active_feed(dbsession, user, scope)
    if feed is None:
        return False
    feed.revoked_at = now
    dbsession.flush()
    return True


def feed_appointments(dbsession, feed, now):
    """The feed's appointments from some weeks back onwards, cancelled ones included (an indexed range)."""
    column, value = ("agent_id", feed.agent_id) if feed.agent_id is not None else ("zone_id", feed.zone_id)
    return dbsession.execute(
        select(Appointment)
        .options(joinedload(Appointment.campaign), joinedload(Appointment.agent))
        .where(getattr(Appointment, column) == value, Appointment.start_at >= now - timedelta(weeks=WEEKS_BACK))
        .order_by(Appointment.start_at, Appointment.id)
        .limit(MAX_EVENTS)
    ).scalars().all()


def revisions(dbsession, appointment_ids):
    """{appointment id: (sequence, last change)} in one grouped query over the history."""
    if not appointment_ids:
        return {}
    moved = func.sum(case((Change.action.in_(RESCHEDULING_ACTIONS), 1), else_=0))
    rows = dbsession.execute(
        select(Change.appointment_id, moved, func.max(Change.at))
        .where(Change.appointment_id.in_(appointment_ids), Change.subject == "appointment")
        .group_by(Change.appointment_id)
    ).all()
    return {row[0]: (int(row[1] or 0), row[2]) for row in rows}


def build_calendar(request, feed, appointments, revision_of, now):
    """The iCalendar text: one VEVENT per appointment, in the client's time zone with its VTIMEZONE.

    The UID is the client's slug and the appointment's number, so a postponed meeting moves in the
    subscriber's calendar instead of appearing twice; SEQUENCE counts its moves.
    """
    translate = request.localizer.translate
    client = feed.client
    tz = ZoneInfo(client.timezone)
    host = request.domain or "portal"
    title = feed.agent.name if feed.agent_id is not None else feed.zone.name
    calendar = Calendar()
    calendar.add("prodid", "-//appointment-quota-portal//calendar feed//IT")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{client.name} · {title}")
    calendar.add("x-wr-timezone", client.timezone)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for appointment in appointments:
        sequence, changed_at = revision_of.get(appointment.id, (0, None))
        event = Event()
        event.add("uid", f"appointment-{client.slug}-{appointment.number}@{host}")
        event.add("dtstamp", now)
        event.add("created", appointment.created_at)
        event.add("last-modified", max(filter(None, (changed_at, appointment.created_at))))
        event.add("sequence", sequence)
        event.add("dtstart", appointment.start_at.astimezone(tz))
        event.add("dtend", appointment.end_at.astimezone(tz))
        event.add("status", STATUS_OF_STATE[appointment.state])
        event.add("summary", f"{appointment.prospect_name} · {appointment.campaign.name}")
        event.add("location", appointment.place)
        lines = [
            f"{translate(_('Campaign'))}: {appointment.campaign.name}",
            f"{translate(_('Agent'))}: {appointment.agent.name}",
            f"{translate(_('Prospect'))}: {appointment.prospect_name}",
        ]
        if appointment.prospect_company:
            lines.append(f"{translate(_('Company'))}: {appointment.prospect_company}")
        lines += [
            f"{translate(_('Phone'))}: {appointment.prospect_phone}",
            f"{translate(_('Appointment'))}: {appointment.number}",
        ]
        if appointment.notes:
            lines.append(appointment.notes)
        event.add("description", "\n".join(lines))
        event.add("url", request.resource_url(request.root, "clients", client.slug, "appointments",
                                              str(appointment.number)))
        calendar.add_component(event)
    if appointments:
        calendar.add_missing_timezones(first_date=appointments[0].start_at.date() - timedelta(days=366),
                                       last_date=appointments[-1].start_at.date() + timedelta(days=366))
    return calendar.to_ical()


