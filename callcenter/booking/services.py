"""Booking: free slots of a week, holds and the booking itself (spec §5 rules 1, 7-10, 13, 14).

Every rule is checked again inside the transaction that writes, after the
locks are taken, so what an operator saw a minute ago cannot oversell the
quota nor double-book an agent.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from agents.availability import check_available, check_in_schedule, free_slots, week_days
from agents.calendar import agent_calendars, day_bounds
from agents.models import Agent, Zone, agent_zones
from agents.routing import route_to_zone
from callcenter.booking.holds import hold_for_booking, place_hold, refuse_if_booked_or_held
from callcenter.appointments.counters import count_new
from callcenter.appointments.models import Appointment, Recovery
from callcenter.appointments.overlaps import busy_over
from callcenter.booking.models import Hold
from callcenter.appointments.rules import appointment_span, as_utc, check_insertion_cutoff
from campaigns.alerts import request_alerts
from campaigns.fields import validate_fields
from campaigns.models import Client
from campaigns.services import take_place
from portal.errors import RuleViolation
from portal.history import record
from portal.i18n import _

EXCLUSION_VIOLATION = "23P01"  # PostgreSQL: the no-overlap constraint of rule 8


@dataclass
class Slot:
    agent: Agent
    start: datetime
    end: datetime
    held_until: datetime | None = None  # set when another operator holds it
    hold_id: int | None = None  # set when it is the asking operator's own hold


def book_appointment(dbsession, *, campaign, agent, start, prospect, notes="", fields=None, booked_by=None, now,
                     hold_id=None, out_of_schedule=False, may_book_out_of_schedule=False, recovers=None):
    """Book a new appointment, or raise the refusal with its code.

    Locks are taken in one order, campaign then agent then client, so that
    concurrent bookings queue instead of deadlocking.
    """
    check_insertion_cutoff(start, now, campaign.cutoff_hours)
    check_agent_of_campaign(agent, campaign)
    zone = routed_zone(dbsession, campaign, agent, prospect)
    start, end, busy_until = appointment_span(start, campaign.appointment_minutes, campaign.buffer_minutes)
    values = validate_fields(campaign, fields)
    hold = None
    if hold_id is not None:
        hold = hold_for_booking(dbsession, hold_id, campaign=campaign, agent=agent, start=start, operator=booked_by,
                                now=now)
    check_calendar(dbsession, campaign, agent, start, end, out_of_schedule, may_book_out_of_schedule)
    recovery = released_recovery(dbsession, campaign, recovers) if recovers is not None else None
    taken, purchased = take_place(dbsession, campaign, for_recovery=recovery is not None)
    request_alerts(dbsession, campaign, taken - 1, taken, purchased, now)
    lock_agent_calendar(dbsession, agent.id)
    own_holds = refuse_if_booked_or_held(dbsession, agent.id, start, busy_until,
                                         booked_by.id if booked_by else None, now, campaign.client.timezone)
    for own in own_holds + ([hold] if hold else []):
        own.ended_at = now
    appointment = Appointment(
        client_id=campaign.client_id,
        number=next_appointment_number(dbsession, campaign.client_id),
        campaign_id=campaign.id,
        agent_id=agent.id,
        zone_id=zone.id,
        start_at=start,
        end_at=end,
        busy_until=busy_until,
        state="to_confirm",
        prospect_name=prospect["name"],
        prospect_phone=prospect["phone"],
        prospect_postal_code=prospect["postal_code"],
        **prospect_details(prospect),
        notes=notes or "",
        fields=values,
        out_of_schedule=out_of_schedule,
        booked_by_id=booked_by.id if booked_by is not None else None,
        created_at=now,  # the clock's time: the dashboard's burn rate counts bookings by it
    )
    dbsession.add(appointment)
    flush_refusing_overlaps(dbsession)
    count_new(dbsession, agent.id, zone.id, "to_confirm")  # the zone's and agent's folders, locked last
    if recovery is not None:
        recovery.state, recovery.replacement_appointment_id = "booked", appointment.id
    record(dbsession, client_id=campaign.client_id, subject="appointment", action="booked",
           after={"state": "to_confirm", "start": start.isoformat(), "agent": agent.slug},
           actor=booked_by, at=now, appointment=appointment)
    return appointment


def released_recovery(dbsession, campaign, cancelled_number):
    """Rule 11: a booking replaces a cancelled appointment whose recovery has been released."""
    recovery = dbsession.execute(
        select(Recovery).join(Recovery.cancelled_appointment).where(
            Recovery.campaign_id == campaign.id,
            Appointment.number == cancelled_number,
            Recovery.state.in_(("owed", "released")),
        ).with_for_update()
    ).scalar_one_or_none()
    if recovery is None:
        raise RuleViolation("validation_error", _("no_recovery_owed", default="No recovery is owed for this "
                                                  "appointment number."), "recovers")
    if recovery.state != "released":
        raise RuleViolation("validation_error", _("recovery_not_released", default="This recovery is not released "
                                                  "yet: recoveries come at the end of the step."), "recovers")
    return recovery


def hold_slot(dbsession, *, campaign, agent, start, operator, now, zone=None, recovers=None):
    """Hold a free slot for the campaign's hold minutes (rule 10); the same checks as booking.

    ``zone`` is the zone the prospect's area routes to, when the operator gave it (rule 13).
    ``recovers`` names the cancelled appointment a recovery booking replaces (rule 11): its place
    was kept, so a released recovery may hold a slot when the campaign is otherwise full.
    The quota itself is taken when the booking is made.
    """
    check_insertion_cutoff(start, now, campaign.cutoff_hours)
    check_agent_of_campaign(agent, campaign)
    if zone is not None:
        check_agent_in_zone(agent, zone)
    start, end, busy_until = appointment_span(start, campaign.appointment_minutes, campaign.buffer_minutes)
    check_calendar(dbsession, campaign, agent, start, end, out_of_schedule=False, may_book_out_of_schedule=False)
    recovery = released_recovery(dbsession, campaign, recovers) if recovers is not None else None
    if not place_left(campaign, for_recovery=recovery is not None):
        raise RuleViolation("quota_exhausted", field="campaign")
    lock_agent_calendar(dbsession, agent.id)
    refuse_if_booked_or_held(dbsession, agent.id, start, busy_until, operator.id, now, campaign.client.timezone)
    return place_hold(dbsession, campaign=campaign, agent=agent, start=start, end=end, busy_until=busy_until,
                      operator=operator, now=now)


def place_left(campaign, for_recovery=False):
    """The check ``take_place`` makes, read without taking: a recovery fills a place kept for it."""
    if for_recovery:
        return campaign.taken < campaign.purchased
    return campaign.open_for_booking


def week_slots(dbsession, campaign, zone, week, *, now, operator_id=None):
    """{agent: [Slot]} of a zone's agents for an ISO week: free slots, and those held by others."""
    days = week_days(week)
    client = campaign.client
    agents = dbsession.execute(
        select(Agent)
        .join(agent_zones, agent_zones.c.agent_id == Agent.id)
        .where(agent_zones.c.zone_id == zone.id, Agent.active.is_(True))
        .options(selectinload(Agent.schedule), selectinload(Agent.zones))
        .order_by(Agent.name)
    ).scalars().all()
    if not agents:
        return {}
    calendars = agent_calendars(dbsession, client, agents, days)
    busy, holds = _busy_and_holds(dbsession, [agent.id for agent in agents], days, client.timezone, now)
    length, buffer = timedelta(minutes=campaign.appointment_minutes), timedelta(minutes=campaign.buffer_minutes)
    earliest = as_utc(now) + timedelta(hours=campaign.cutoff_hours)
    result = {}
    for agent in agents:
        calendar = calendars[agent.id]
        slots = []
        for start, end in free_slots(calendar.windows, busy[agent.id], calendar.unavailable,
                                     length=length, buffer=buffer, earliest=earliest):
            slot = Slot(agent, start, end)
            for hold in holds[agent.id]:
                if hold.start_at < end + buffer and start < hold.busy_until:
                    if hold.operator_id == operator_id:
                        # Only the held slot itself: booking a neighbour with this hold id is refused.
                        if hold.start_at == start:
                            slot.hold_id = hold.id
                    else:
                        slot.held_until = max(slot.held_until or hold.expires_at, hold.expires_at)
            slots.append(slot)
        result[agent] = slots
    return result


ZONES_OF_CLIENT = select(Zone).where(Zone.client_id == bindparam("client_id"))  # built once, like those below


def zone_for_prospect(dbsession, client, postal_code=None, province=None, zone_slug=None):
    """The zone whose agents an operator is offered: named, or routed from the prospect (rule 13)."""
    zones = dbsession.execute(ZONES_OF_CLIENT, {"client_id": client.id}).scalars().all()
    if zone_slug:
        for zone in zones:
            if zone.slug == zone_slug:
                return zone
        raise RuleViolation("validation_error", _("unknown_zone_slug", default="Unknown zone."), "zone")
    return route_to_zone(zones, postal_code, province)


def routed_zone(dbsession, campaign, agent, prospect):
    """Rule 13: the prospect's postal code (or province) routes to a zone, and the agent must work there,
    as the slots offered for that prospect are those of the zone's agents."""
    try:
        zone = zone_for_prospect(dbsession, campaign.client, prospect.get("postal_code"), prospect.get("province"))
    except RuleViolation as violation:  # the field is the prospect's, as in the booking body
        raise RuleViolation(violation.code, violation.message, f"prospect.{violation.field}") from violation
    check_agent_in_zone(agent, zone)
    return zone


def check_agent_in_zone(agent, zone):
    if all(own.id != zone.id for own in agent.zones):
        raise RuleViolation("validation_error", _(
            "agent_not_in_prospect_zone", default="${agent} does not work in the zone of the prospect (${zone}).",
            mapping={"agent": agent.name, "zone": zone.name}), "agent")


def check_agent_of_campaign(agent, campaign):
    if agent.client_id != campaign.client_id or not agent.active:
        raise RuleViolation(
            "validation_error", _("agent_not_in_campaign", default="This agent does not work for this client."), "agent"
        )


def check_calendar(dbsession, campaign, agent, start, end, out_of_schedule, may_book_out_of_schedule):
    """Rule 9: inside the schedule (unless allowed and asked), never inside an unavailability."""
    client = campaign.client
    # An out-of-schedule meeting may run past midnight into an unavailability of the next day.
    local_days = sorted({moment.astimezone(ZoneInfo(client.timezone)).date() for moment in (start, end)})
    calendar = agent_calendars(dbsession, client, [agent], local_days)[agent.id]
    if out_of_schedule:
        if not may_book_out_of_schedule:
            raise RuleViolation("forbidden", _("out_of_schedule_not_allowed",
                                               default="You may not book outside the agent's schedule."),
                                "out_of_schedule")
    else:
        check_in_schedule(start, end - start, calendar.windows)
    check_available(start, end, calendar.unavailable)


# Core statements on the tables: no ORM entity to load, no ORM bulk-update machinery.
AGENT_LOCK = select(Agent.__table__.c.id).where(Agent.__table__.c.id == bindparam("agent_id")).with_for_update()
_clients = Client.__table__.c
NEXT_NUMBER = (update(Client.__table__).where(_clients.id == bindparam("client_id"))
               .values(last_appointment_number=_clients.last_appointment_number + 1)
               .returning(_clients.last_appointment_number))


def lock_agent_calendar(dbsession, agent_id):
    """Serialise the bookings and holds of one agent (SQLite already has a single writer); a Core
    statement: no ORM entity to load."""
    dbsession.execute(AGENT_LOCK, {"agent_id": agent_id})


def next_appointment_number(dbsession, client_id):
    """Numbers are sequential per client; the UPDATE locks the counter until commit and returns it
    (one round trip instead of UPDATE then SELECT)."""
    return dbsession.execute(NEXT_NUMBER, {"client_id": client_id}).scalar_one()


def prospect_details(prospect):
    """The prospect's optional columns (spec §2): company, address, province (in capitals, MI)."""
    province = prospect.get("province")
    return {"prospect_company": prospect.get("company") or None, "prospect_address": prospect.get("address") or None,
            "prospect_province": province.strip().upper() if province else None}


def zone_for(agent, prospect):
    """The agent's zone covering the prospect, else the agent's first zone."""
    try:
        return route_to_zone(agent.zones, prospect.get("postal_code"), prospect.get("province")).id
    except RuleViolation:
        return agent.zones[0].id if agent.zones else None


def flush_refusing_overlaps(dbsession):
    """On PostgreSQL the exclusion constraint is the last word on rule 8."""
    try:
        dbsession.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise RuleViolation("slot_taken", field="start") from error
        raise


# Built once: the operators' week of free slots reads it for a zone's agents at every search.
BUSY_OF_AGENTS = select(Appointment.agent_id, Appointment.start_at, Appointment.busy_until).where(
    Appointment.agent_id.in_(bindparam("agent_ids", expanding=True)), busy_over(bindparam("start"), bindparam("end")))


def _busy_and_holds(dbsession, agent_ids, days, tz, now):
    start, end = day_bounds(days, tz)
    margin = timedelta(days=1)  # an appointment's buffer may reach into the first day
    busy = defaultdict(list)
    for agent_id, busy_start, busy_until in dbsession.execute(
            BUSY_OF_AGENTS, {"agent_ids": agent_ids, "start": start - margin, "end": end + margin}):
        busy[agent_id].append((busy_start, busy_until))
    holds = defaultdict(list)
    for hold in dbsession.execute(
        select(Hold).where(Hold.agent_id.in_(agent_ids), Hold.ended_at.is_(None), Hold.expires_at > now,
                           Hold.start_at < end + margin, Hold.busy_until > start - margin)
    ).scalars():
        holds[hold.agent_id].append(hold)
    return busy, holds
