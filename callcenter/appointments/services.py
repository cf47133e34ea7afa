"""Reading appointments: folder lists (booking is in callcenter.booking.services; the folders' counts in
callcenter.appointments.counters)."""
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam, func, or_, select, text, tuple_

from agents.models import Agent, Zone
from callcenter.appointments.models import ACTIVE_STATES, Appointment, CancellationRequest
from campaigns.models import Campaign
from portal.db import UTCDateTime
from portal.resources import as_number


def in_scope(scope):
    """The WHERE clauses of a folder's scope: {column: value, or a list of values}."""
    return [getattr(Appointment, column).in_(value) if isinstance(value, list) else getattr(Appointment, column) == value
            for column, value in scope.items()]


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

    @property
    def narrowed(self):
        """Narrowed by more than upcoming."""
        return bool(self.state or self.date_from or self.date_to or self.agent or self.zone or self.campaign
                    or self.text or self.pending_request)

    def without_upcoming(self):
        return AppointmentFilters(False, self.state, self.date_from, self.date_to, self.agent, self.zone,
                                  self.campaign, self.text, self.pending_request)


class Page:
    """One page of a list: its items, and the positions (start_at, id) the next and previous pages
    start after and end before (None: no such page)."""

    def __init__(self, items, page, per_page, next_position, previous_position):
        self.items = items
        self.page = page
        self.per_page = per_page
        self.next_position = next_position
        self.previous_position = previous_position

    @property
    def has_more(self):
        return self.next_position is not None


class ListedAppointment:
    """An appointment as the lists show it: its own columns and the slug and name of its agent, zone
    and campaign, read in the list's one statement (no ORM object per row: read-only)."""

    __slots__ = ("agent", "campaign", "cancel_reason", "cancelled_at", "confirmed_at", "contacted_at", "disowned_at",
                 "end_at", "fields", "id", "needs_rescheduling", "notes", "number", "out_of_schedule", "outcome",
                 "outcome_notes", "prospect_address", "prospect_company", "prospect_name", "prospect_phone",
                 "prospect_postal_code", "prospect_province", "start_at", "state", "zone")

    def __init__(self, row):
        (self.id, self.number, self.state, self.start_at, self.end_at, self.prospect_name, self.prospect_phone,
         self.prospect_postal_code, self.prospect_company, self.prospect_address, self.prospect_province,
         self.notes, self.fields, self.confirmed_at, self.contacted_at, self.disowned_at, self.cancelled_at,
         self.cancel_reason, self.outcome, self.outcome_notes, self.needs_rescheduling, self.out_of_schedule,
         agent_slug, agent_name, zone_slug, zone_name, campaign_slug, campaign_name) = row
        self.agent = Named(agent_slug, agent_name)
        self.zone = Named(zone_slug, zone_name) if zone_slug is not None else None
        self.campaign = Named(campaign_slug, campaign_name)

    @property
    def position(self):
        return self.start_at, self.id

    @property
    def active(self):
        return self.state in ACTIVE_STATES


class Named(NamedTuple):
    slug: str
    name: str


# In the order ListedAppointment unpacks them.
LISTED_COLUMNS = (
    Appointment.id, Appointment.number, Appointment.state, Appointment.start_at, Appointment.end_at,
    Appointment.prospect_name, Appointment.prospect_phone, Appointment.prospect_postal_code,
    Appointment.prospect_company, Appointment.prospect_address, Appointment.prospect_province, Appointment.notes,
    Appointment.fields, Appointment.confirmed_at, Appointment.contacted_at, Appointment.disowned_at,
    Appointment.cancelled_at, Appointment.cancel_reason, Appointment.outcome, Appointment.outcome_notes,
    Appointment.needs_rescheduling, Appointment.out_of_schedule,
    Agent.slug, Agent.name, Zone.slug, Zone.name, Campaign.slug, Campaign.name,
)
# Offsets stay for the first pages only (the API's ``page``, kept for the clients that used it); deeper,
# a page follows a cursor.
MAX_OFFSET_PAGE = 20


def list_appointments(dbsession, scope, filters, *, now, tz="Europe/Rome", after=None, before=None, page=1,
                      per_page=50):
    """One page of a folder's appointments by keyset: the rows after (or before) a position (start_at, id)
    in the list's order, soonest first for upcoming appointments, latest first otherwise. No total count and
    no offset past the first pages, so that page 1,000 costs what page 1 costs (one index range)."""
    if after is not None and before is not None:
        raise ValueError("after and before are exclusive")
    if page > MAX_OFFSET_PAGE or (page > 1 and (after or before)):
        raise ValueError("page is for the first pages of a list only")
    backwards = before is not None  # read the rows before the position, nearest first, then turn them round
    descending = (not filters.upcoming) != backwards
    position = after if after is not None else before
    shape = (tuple((column, isinstance(value, list)) for column, value in scope.items()), filters.upcoming,
             descending, position is not None, page > 1)
    params = {f"scope_{column}": value for column, value in scope.items()}
    params["limit"] = per_page + 1
    if filters.upcoming:
        params["now"] = now
    if page > 1:
        params["offset"] = (page - 1) * per_page
    if position is not None:
        params.update(position_start=position[0], position_id=position[1])
    if filters.narrowed:
        query = _list_statement(*shape, narrowing=filters, tz=ZoneInfo(tz))
    else:  # a folder's whole list: the same statement every time, built once (SQLAlchemy then skips its work)
        query = _whole_list_statement(*shape)
        plan_once(dbsession)
    # Core, not the ORM: plain rows, nothing for the session to track.
    rows = dbsession.connection().execute(query, params).all()
    more = len(rows) > per_page
    items = [ListedAppointment(row) for row in rows[:per_page]]
    if backwards:
        items.reverse()
        return Page(items, page, per_page, items[-1].position if items else None,
                    items[0].position if more else None)
    return Page(items, page, per_page, items[-1].position if more else None,
                items[0].position if items and (after is not None or page > 1) else None)


GENERIC_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")


def plan_once(dbsession):
    """PostgreSQL plans a folder's whole list once per connection, for the rest of the transaction. Its
    best plan is one index range whatever the folder (a scope and position in the list's order), but for
    a folder much bigger than the average one PostgreSQL judged its generic plan dearer and planned the
    statement again at every request: 1 ms of its CPU, more than the statement's own run."""
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.execute(GENERIC_PLANS)


def _list_statement(scope, upcoming, descending, after_position, offset, narrowing=None, tz=None):
    """The SELECT of a list's page, its values left as parameters (scope_*, now, position_*, limit, offset)
    but those of ``narrowing``, the filters other than upcoming."""
    query = (select(*LISTED_COLUMNS)
             .join(Agent, Agent.id == Appointment.agent_id)
             .outerjoin(Zone, Zone.id == Appointment.zone_id)
             .join(Campaign, Campaign.id == Appointment.campaign_id))
    for column, many in scope:
        attribute = getattr(Appointment, column)
        query = query.where(attribute.in_(bindparam(f"scope_{column}", expanding=True)) if many
                            else attribute == bindparam(f"scope_{column}"))
    if upcoming:
        query = query.where(Appointment.start_at >= bindparam("now", type_=UTCDateTime()),
                            Appointment.state.in_(ACTIVE_STATES))
    if narrowing is not None:
        query = _apply_filters(query, narrowing.without_upcoming(), now=None, tz=tz)
    if after_position:
        key = tuple_(Appointment.start_at, Appointment.id)
        bound = tuple_(bindparam("position_start", type_=UTCDateTime()), bindparam("position_id", type_=Integer()))
        query = query.where(key < bound if descending else key > bound)
    if descending:
        query = query.order_by(Appointment.start_at.desc(), Appointment.id.desc())
    else:
        query = query.order_by(Appointment.start_at.asc(), Appointment.id.asc())
    query = query.limit(bindparam("limit", type_=Integer()))
    return query.offset(bindparam("offset", type_=Integer())) if offset else query


_whole_list_statement = lru_cache(maxsize=128)(_list_statement)


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
