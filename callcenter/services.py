"""Booking and reading appointments: one business operation per function."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from agents.models import Agent, Zone
from callcenter.models import ACTIVE_STATES, Appointment
from callcenter.rules import appointment_span, check_insertion_cutoff
from campaigns.models import Campaign, Client
from campaigns.services import take_place
from portal.errors import RuleViolation
from portal.i18n import _


def book_appointment(dbsession, *, campaign, agent, start, prospect, notes="", fields=None, booked_by=None, now):
    """Book a new appointment (rules 1, 7, 8), or raise the refusal with its code.

    Locks are taken in one order, campaign then agent then client, so that
    concurrent bookings queue instead of deadlocking.
    """
    check_insertion_cutoff(start, now, campaign.cutoff_hours)
    if agent.client_id != campaign.client_id or not agent.active:
        raise RuleViolation(
            "validation_error", _("agent_not_in_campaign", default="This agent does not work for this client."), "agent"
        )
    start, end, busy_until = appointment_span(start, campaign.appointment_minutes, campaign.buffer_minutes)
    take_place(dbsession, campaign)
    lock_agent_calendar(dbsession, agent.id)
    if agent_is_busy(dbsession, agent.id, start, busy_until):
        raise RuleViolation("slot_taken", field="start")
    appointment = Appointment(
        client_id=campaign.client_id,
        number=next_appointment_number(dbsession, campaign.client_id),
        campaign_id=campaign.id,
        agent_id=agent.id,
        zone_id=zone_for(agent, prospect["postal_code"]),
        start_at=start,
        end_at=end,
        busy_until=busy_until,
        state="to_confirm",
        prospect_name=prospect["name"],
        prospect_phone=prospect["phone"],
        prospect_postal_code=prospect["postal_code"],
        notes=notes or "",
        fields=fields or {},
        booked_by_id=booked_by.id if booked_by is not None else None,
    )
    dbsession.add(appointment)
    dbsession.flush()
    return appointment


def lock_agent_calendar(dbsession, agent_id):
    """Serialise the bookings of one agent (SQLite already has a single writer)."""
    dbsession.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())


def agent_is_busy(dbsession, agent_id, start, busy_until):
    overlap = select(Appointment.id).where(
        Appointment.agent_id == agent_id,
        Appointment.state.in_(ACTIVE_STATES),
        Appointment.start_at < busy_until,
        Appointment.busy_until > start,
    )
    return dbsession.execute(overlap.limit(1)).first() is not None


def next_appointment_number(dbsession, client_id):
    """Numbers are sequential per client; the UPDATE locks the counter until commit."""
    dbsession.execute(
        update(Client)
        .where(Client.id == client_id)
        .values(last_appointment_number=Client.last_appointment_number + 1),
        execution_options={"synchronize_session": False},
    )
    return dbsession.execute(select(Client.last_appointment_number).where(Client.id == client_id)).scalar_one()


def zone_for(agent, postal_code):
    """The agent's zone covering the postal code, else the agent's first zone."""
    for zone in agent.zones:
        if zone.covers(postal_code):
            return zone.id
    return agent.zones[0].id if agent.zones else None


def folder_counts(dbsession, scope):
    """taken / to_confirm / cancelled of a zone's or an agent's appointments (an indexed count)."""
    column, value = next(iter(scope.items()))
    rows = dbsession.execute(
        select(Appointment.state, func.count())
        .where(getattr(Appointment, column) == value)
        .group_by(Appointment.state)
    ).all()
    by_state = dict(rows)
    return {
        "taken": sum(by_state.get(state, 0) for state in ACTIVE_STATES),
        "to_confirm": by_state.get("to_confirm", 0),
        "cancelled": by_state.get("cancelled", 0),
    }


def upcoming_appointments(dbsession, scope, *, now, limit=20):
    """The folder home's list: active appointments from now on, soonest first."""
    filters = AppointmentFilters(upcoming=True)
    return list_appointments(dbsession, scope, filters, now=now, per_page=limit).items


class AppointmentFilters:
    """What "Tutti gli appuntamenti" can be narrowed by; values already validated."""

    def __init__(self, upcoming=False, state=None, date_from=None, date_to=None, agent=None, zone=None,
                 campaign=None, text=None):
        self.upcoming = upcoming
        self.state = state
        self.date_from = date_from
        self.date_to = date_to
        self.agent = agent
        self.zone = zone
        self.campaign = campaign
        self.text = text


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
    for column, value in scope.items():
        query = query.where(getattr(Appointment, column) == value)
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
    return query


def _text_matches(text):
    pattern = f"%{text.strip().lower()}%"
    clauses = [
        func.lower(Appointment.prospect_name).like(pattern),
        Appointment.prospect_phone.like(pattern),
        Appointment.prospect_postal_code.like(pattern),
    ]
    if text.strip().isascii() and text.strip().isdigit() and len(text.strip()) <= 9:  # an INTEGER column
        clauses.append(Appointment.number == int(text.strip()))
    return or_(*clauses)
