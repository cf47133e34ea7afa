"""Reading appointments: folder lists (booking is in callcenter.booking.services; the folders' counts in
callcenter.appointments.counters)."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from agents.models import Agent, Zone
from callcenter.appointments.models import ACTIVE_STATES, Appointment, CancellationRequest
from campaigns.models import Campaign
from portal.resources import as_number


def in_scope(scope):
    """The WHERE clauses of a folder's scope: {column: value, or a list of values}."""
    return [getattr(Appointment, column).in_(value) if isinstance(value, list) else getattr(Appointment, column) == value
            for column, value in scope.items()]


def upcoming_appointments(dbsession, scope, *, now, limit=20):
    """The folder home's list: active appointments from now on, soonest first."""
    filters = AppointmentFilters(upcoming=True)
    return list_appointments(dbsession, scope, filters, now=now, per_page=limit).items


class AppointmentFilters:
    """What "Tutti gli appuntamenti" can be narrowed by; values already validated."""

    def __init__(self, upcoming=False, state=None, date_from=None, date_to=None, agent=None, zone=None,
                 campaign=None, text=None, pending_request=False):
        self.upcoming = upcoming
        self.state = state
        self.date_from = date_from
        self.date_to = date_to
        self.agent = agent
        self.zone = zone
        self.campaign = campaign
        self.text = text
        self.pending_request = pending_request


class Page:
    def __init__(self, items, page, per_page, has_more):
        self.items = items
        self.page = page
        self.per_page = per_page
        self.has_more = has_more


def list_appointments(dbsession, scope, filters, *, now, tz="Europe/Rome", page=1, per_page=50):
    """One page of a folder's appointments; no total count, so the cost stays flat."""
    query = select(Appointment).options(
        joinedload(Appointment.agent), joinedload(Appointment.zone), joinedload(Appointment.campaign)
    )
    query = query.where(*in_scope(scope))
    query = _apply_filters(query, filters, now=now, tz=ZoneInfo(tz))
    order = Appointment.start_at.asc() if filters.upcoming else Appointment.start_at.desc()
    query = query.order_by(order, Appointment.id).offset((page - 1) * per_page).limit(per_page + 1)
    items = dbsession.execute(query).scalars().unique().all()
    return Page(items[:per_page], page, per_page, len(items) > per_page)


def _apply_filters(query, filters, *, now, tz):
    if filters.upcoming:
        query = query.where(Appointment.start_at >= now, Appointment.state.in_(ACTIVE_STATES))
    if filters.state:
        query = query.where(Appointment.state == filters.state)
    if filters.date_from:
        query = query.where(Appointment.start_at >= datetime.combine(filters.date_from, time(), tz))
    if filters.date_to:
        day_after = datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
        query = query.where(Appointment.start_at < day_after)
    if filters.agent:
        query = query.where(Appointment.agent_id.in_(select(Agent.id).where(Agent.slug == filters.agent)))
    if filters.zone:
        query = query.where(Appointment.zone_id.in_(select(Zone.id).where(Zone.slug == filters.zone)))
    if filters.campaign:
        query = query.where(Appointment.campaign_id.in_(select(Campaign.id).where(Campaign.slug == filters.campaign)))
    if filters.text:
        query = query.where(_text_matches(filters.text))
    if filters.pending_request:  # rule 5: the few requests waiting for an account manager
        query = query.where(Appointment.id.in_(
            select(CancellationRequest.appointment_id).where(CancellationRequest.state == "pending")))
    return query


def _text_matches(text):
    pattern = f"%{text.strip().lower()}%"
    clauses = [
        func.lower(Appointment.prospect_name).like(pattern),
        func.lower(Appointment.prospect_company).like(pattern),
        Appointment.prospect_phone.like(pattern),
        Appointment.prospect_postal_code.like(pattern),
    ]
    number = as_number(text)
    if number is not None:
        clauses.append(Appointment.number == number)
    return or_(*clauses)
