"""The operators' worklists (rules 3, 6, 11) as queries: the database searches, filters, counts and cuts
them into pages (README "What it does", lists that pass a screen), for the pages and the API alike."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from agents.models import Agent, Zone
from callcenter.appointments.models import ACTIVE_STATES, Appointment, Recovery
from callcenter.lifecycle.jobs import day_bounds, local_day
from callcenter.lifecycle.models import ConfirmationCall
from campaigns.models import Campaign, Client
from portal.listing import where_words

CALL_STATES = ("open", "not_reached", "done")


@dataclass(frozen=True)
class WorklistFilters:
    """What an operator narrows a worklist to; None (or empty) is no filter. ``client``, ``campaign``,
    ``agent`` and ``zone`` are short names (slugs); the dates are days of each client's calendar."""

    text: str | None = None
    client: str | None = None
    campaign: str | None = None
    agent: str | None = None
    zone: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    state: str | None = None  # the appointment's state (to move)
    call: str | None = None  # the confirmation call's state: open, not_reached, done

    @property
    def active(self):
        return any(getattr(self, name) for name in self.__dataclass_fields__)


TIMEZONES = "callcenter.workspace.timezones"  # (transaction, zones) in the session's info


def timezones(dbsession):
    """The clients' time zones: a handful, so a day of each client's calendar is a few SQL conditions.
    Read once per transaction: a worklist page's queries ask for them five times."""
    kept = dbsession.info.get(TIMEZONES)
    if kept is not None and kept[0] is dbsession.get_transaction():
        return kept[1]
    zones = dbsession.execute(select(Client.timezone).distinct().order_by(Client.timezone)).scalars().all()
    dbsession.info[TIMEZONES] = (dbsession.get_transaction(), zones)
    return zones


def on_local_day(dbsession, column, day_of_zone):
    """``column`` (a date) equals ``day_of_zone(tz)`` for the row's client (Client joined)."""
    return or_(false(), *(and_(Client.timezone == tz, column == day_of_zone(tz)) for tz in timezones(dbsession)))


def within_local_days(dbsession, column, date_from, date_to):
    """``column`` (a UTC time) falls from the first day to the last, both inclusive, in the row's client's
    calendar (Client joined)."""
    conditions = []
    for tz in timezones(dbsession):
        zone = ZoneInfo(tz)
        bounds = [Client.timezone == tz]
        if date_from:
            bounds.append(column >= datetime.combine(date_from, time(), zone))
        if date_to:
            bounds.append(column < datetime.combine(date_to + timedelta(days=1), time(), zone))
        conditions.append(and_(*bounds))
    return or_(false(), *conditions)


def narrowed(dbsession, query, filters, client_ids, appointment, *, dates_of=None, searched=()):
    """``query`` (Client and Agent joined, ``appointment`` the Appointment it lists) narrowed to the user's
    clients (None: every client) and to ``filters``: every word of the text in the prospect's name, phone
    or company, the appointment's number, the client's or the agent's name (or one of ``searched``)."""
    if client_ids is not None:
        query = query.where(Client.id.in_(client_ids))
    if filters.client:
        query = query.where(Client.slug == filters.client)
    if filters.campaign:
        query = query.where(appointment.campaign_id.in_(select(Campaign.id).where(Campaign.slug == filters.campaign)))
    if filters.agent:
        query = query.where(Agent.slug == filters.agent)
    if filters.zone:
        query = query.where(appointment.zone_id.in_(select(Zone.id).where(Zone.slug == filters.zone)))
    if filters.state:
        query = query.where(appointment.state == filters.state)
    if (filters.date_from or filters.date_to) and dates_of is not None:
        query = query.where(within_local_days(dbsession, dates_of, filters.date_from, filters.date_to))
    return where_words(query, filters.text, (
        appointment.prospect_name, appointment.prospect_phone, appointment.prospect_company,
        cast(appointment.number, String), Client.name, Client.slug, Agent.name, *searched))


# --- Rule 3: the confirmation calls ------------------------------------------------------------------


def todays_calls_query(dbsession, filters, client_ids, now):
    """Today's worklist rows (today by each client's clock) with their appointments, filtered."""
    query = (
        select(ConfirmationCall)
        .join(Appointment, Appointment.id == ConfirmationCall.appointment_id)
        .join(Client, Client.id == Appointment.client_id)
        .join(Agent, Agent.id == Appointment.agent_id)
        .options(contains_eager(ConfirmationCall.appointment).contains_eager(Appointment.client),
                 contains_eager(ConfirmationCall.appointment).contains_eager(Appointment.agent),
                 contains_eager(ConfirmationCall.appointment).joinedload(Appointment.campaign),
                 joinedload(ConfirmationCall.by))
        .where(on_local_day(dbsession, ConfirmationCall.work_date, lambda tz: local_day(now, tz)))
    )
    return narrowed(dbsession, query, filters, client_ids, Appointment)


def call_is_open(now):
    """Still to call: not done, the appointment still to confirm and still ahead."""
    return and_(ConfirmationCall.state != "done", Appointment.state == "to_confirm", Appointment.start_at > now)


def calls_to_make(dbsession, filters, client_ids, now):
    """The calls still to make, by client, campaign and time; ``filters.call``: open or not reached only."""
    query = todays_calls_query(dbsession, filters, client_ids, now).where(call_is_open(now))
    if filters.call == "done":
        query = query.where(false())
    elif filters.call:
        query = query.where(ConfirmationCall.state == filters.call)
    return query.order_by(Client.name, Appointment.campaign_id, Appointment.start_at, Appointment.id)


def calls_made(dbsession, filters, client_ids, now):
    """The calls done today (or settled without the call: confirmed or moved elsewhere), by time."""
    query = todays_calls_query(dbsession, filters, client_ids, now).where(~call_is_open(now))
    if filters.call and filters.call != "done":
        query = query.where(false())
    return query.order_by(Appointment.start_at, Appointment.id)


def calls_progress(dbsession, filters, client_ids, now):
    """{"done": n, "to_call": n} of today's worklist as filtered (the call's state aside), counted by SQL."""
    # Whether a call is open is read from the row's own appointment, already joined: not by asking if it
    # is among all the appointments ahead still to confirm (124,000 of them at 1,000,000, 52 ms).
    rows = todays_calls_query(dbsession, filters, client_ids, now).add_columns(
        call_is_open(now).label("is_open")).subquery()
    to_call, total = dbsession.execute(
        select(func.coalesce(func.sum(case((rows.c.is_open, 1), else_=0)), 0), func.count()).select_from(rows)).one()
    return {"done": total - to_call, "to_call": to_call}


def todays_calls_of(dbsession, appointments, now):
    """{appointment id: its row on today's worklist (today by its client's clock)}, in one query."""
    if not appointments:
        return {}
    calls = dbsession.execute(
        select(ConfirmationCall).join(Client, Client.id == ConfirmationCall.client_id).where(
            ConfirmationCall.appointment_id.in_([appointment.id for appointment in appointments]),
            on_local_day(dbsession, ConfirmationCall.work_date, lambda tz: local_day(now, tz)))
    ).scalars().all()
    return {call.appointment_id: call for call in calls}


def missing_from_todays_calls(dbsession, client_ids, now):
    """Tomorrow's appointments still to confirm that today's worklist lacks (moved to tomorrow since the
    morning's run): usually none, so topping the worklist up stays cheap."""
    query = tomorrow_to_confirm(dbsession, WorklistFilters(), client_ids, now).where(~exists().where(
        ConfirmationCall.appointment_id == Appointment.id,
        on_local_day(dbsession, ConfirmationCall.work_date, lambda tz: local_day(now, tz))))
    return dbsession.execute(query).scalars().all()


def tomorrow_to_confirm(dbsession, filters, client_ids, now):
    """Rule 3, live: tomorrow's appointments still to confirm (tomorrow in each client's time zone), by
    campaign and time; ``filters.call`` narrows them by the state of today's call (none yet: open)."""
    tomorrow = []
    for tz in timezones(dbsession):
        start, end = day_bounds(local_day(now, tz) + timedelta(days=1), tz)
        tomorrow.append(and_(Client.timezone == tz, Appointment.start_at >= start, Appointment.start_at < end))
    query = (
        select(Appointment)
        .join(Client, Client.id == Appointment.client_id)
        .join(Agent, Agent.id == Appointment.agent_id)
        .options(contains_eager(Appointment.client), contains_eager(Appointment.agent),
                 joinedload(Appointment.campaign), joinedload(Appointment.zone))
        .where(Appointment.state == "to_confirm", Appointment.start_at >= now, or_(false(), *tomorrow))
        .order_by(Appointment.campaign_id, Appointment.start_at, Appointment.id)
    )
    if filters.call:
        today = on_local_day(dbsession, ConfirmationCall.work_date, lambda tz: local_day(now, tz))
        called = exists().where(ConfirmationCall.appointment_id == Appointment.id, today,
                                ConfirmationCall.state.in_(("not_reached", "done")))
        if filters.call == "open":
            query = query.where(~called)
        else:
            query = query.where(exists().where(ConfirmationCall.appointment_id == Appointment.id, today,
                                               ConfirmationCall.state == filters.call))
    return narrowed(dbsession, query, filters, client_ids, Appointment)


# --- Rule 6: appointments to move --------------------------------------------------------------------


def appointments_to_move(dbsession, filters, client_ids):
    """Active appointments caught by an unavailability declared after the booking, by start; the dates
    are the appointment's."""
    query = (
        select(Appointment)
        .join(Client, Client.id == Appointment.client_id)
        .join(Agent, Agent.id == Appointment.agent_id)
        .options(contains_eager(Appointment.client), contains_eager(Appointment.agent),
                 joinedload(Appointment.campaign), joinedload(Appointment.zone))
        .where(Appointment.needs_rescheduling.is_(True), Appointment.state.in_(ACTIVE_STATES))
        .order_by(Appointment.start_at, Appointment.id)
    )
    return narrowed(dbsession, query, filters, client_ids, Appointment, dates_of=Appointment.start_at)


# --- Rule 11: recoveries ---------------------------------------------------------------------------


def released_recoveries(dbsession, filters, client_ids):
    """Rows (recovery, its campaign) of the recoveries released to the operators, oldest first; the
    text and the agent or zone are the cancelled appointment's, the dates when the recovery was owed."""
    cancelled = Appointment
    query = (
        select(Recovery, Campaign)
        .join(cancelled, cancelled.id == Recovery.cancelled_appointment_id)
        .join(Campaign, Campaign.id == Recovery.campaign_id)
        .join(Client, Client.id == Campaign.client_id)
        .join(Agent, Agent.id == cancelled.agent_id)
        .options(contains_eager(Recovery.cancelled_appointment), contains_eager(Campaign.client))
        .where(Recovery.state == "released")
        .order_by(Recovery.created_at, Recovery.id)
    )
    return narrowed(dbsession, query, filters, client_ids, cancelled, dates_of=Recovery.created_at,
                    searched=(Campaign.name,))


# --- The choices of the filters -----------------------------------------------------------------------


def filter_choices(dbsession, client_ids, client_slug):
    """The clients a list can be narrowed to and, once one is chosen, its campaigns, agents and zones:
    {"client": [(slug, name)], "campaign": [...], "agent": [...], "zone": [...]}."""
    clients = select(Client.id, Client.slug, Client.name).order_by(Client.name)
    if client_ids is not None:
        clients = clients.where(Client.id.in_(client_ids))
    rows = dbsession.execute(clients).all()
    choices = {"client": [(row.slug, row.name) for row in rows], "campaign": [], "agent": [], "zone": []}
    chosen = next((row.id for row in rows if row.slug == client_slug), None)
    if chosen is not None:
        for name, model in (("campaign", Campaign), ("agent", Agent), ("zone", Zone)):
            choices[name] = dbsession.execute(
                select(model.slug, model.name).where(model.client_id == chosen).order_by(model.name)).all()
    return choices
