"""Zones, agents and the people who log in to the client's folders."""
from datetime import time

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from agents.models import (
    Agent,
    ClosedDay,
    ScheduleException,
    ScheduleInterval,
    Zone,
    agent_zones,
)
from campaigns.models import Client
from campaigns.services import refuse_duplicate
from portal.errors import RuleViolation
from portal.history import record
from portal.i18n import _
from portal.listing import where_words
from portal.accounts.models import CLIENT_ROLES, ApiToken, User
from portal.accounts.passwords import password_policy
from portal.accounts.security import end_sessions, hash_password


def create_zone(dbsession, client, *, slug, name, provinces=(), postal_codes=()):
    refuse_duplicate(dbsession, select(Zone.id).where(Zone.client_id == client.id, Zone.slug == slug), "slug")
    zone = Zone(client_id=client.id, slug=slug, name=name, provinces=list(provinces), postal_codes=list(postal_codes))
    dbsession.add(zone)
    dbsession.flush()
    return zone


def update_zone(zone, *, name, provinces=(), postal_codes=()):
    """A zone's name and coverage; rule 13 routes the next prospects with the new lists."""
    zone.name = name
    zone.provinces = list(provinces)
    zone.postal_codes = list(postal_codes)
    return zone


# A new agent's week until it is edited: Monday to Friday, 09:00-13:00 and 14:00-18:00.
DEFAULT_WEEK = [{"weekday": weekday, "start": start, "end": end} for weekday in range(5)
                for start, end in ((time(9), time(13)), (time(14), time(18)))]


def set_agent_active(dbsession, agent, active, *, actor=None, now):
    """An inactive agent is offered for no new slot nor booking (rule 9); his/her appointments stay as they are."""
    if agent.active == active:
        return agent
    agent.active = active
    record(dbsession, client_id=agent.client_id, agent_id=agent.id, subject="agent",
           action="reactivated" if active else "deactivated", before={"active": not active},
           after={"active": active}, actor=actor, at=now)
    dbsession.flush()
    return agent


def set_user_active(dbsession, user, active, *, actor=None, now):
    """A deactivated user can no longer log in: open sessions end and API tokens are revoked."""
    if actor is not None and user.id == actor.id and not active:
        raise RuleViolation("conflict", _("cannot_deactivate_self", default="You cannot deactivate yourself."))
    if user.active == active:
        return user
    user.active = active
    if not active:
        end_sessions(dbsession, user.id, now)
        dbsession.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                          .values(revoked_at=now), execution_options={"synchronize_session": False})
    dbsession.flush()
    return user


def create_agent(dbsession, client, *, slug, name, email="", phone="", zones=(), schedule=()):
    """An agent with his/her zones (slugs of the client's zones) and weekly schedule."""
    refuse_duplicate(dbsession, select(Agent.id).where(Agent.client_id == client.id, Agent.slug == slug), "slug")
    agent = Agent(client_id=client.id, slug=slug, name=name, email=email, phone=phone, active=True)
    agent.zones = zones_by_slug(dbsession, client, zones, field="zones")
    check_intervals(schedule)
    for interval in schedule:
        agent.schedule.append(
            ScheduleInterval(weekday=interval["weekday"], start_time=interval["start"], end_time=interval["end"])
        )
    dbsession.add(agent)
    dbsession.flush()
    return agent


AGENT_DETAILS = ("name", "email", "phone")


def update_agent(dbsession, agent, *, actor=None, now, **changes):
    """An agent's name, e-mail, phone and zones (slugs of the client's zones); the slug, and so the
    folder's address, stays. Only the keys given change.

    A zone taken away keeps the agent's booked appointments in it: they were routed there when booked
    (rule 13), the zone's folder and counts keep showing them, and an appointment is moved only by
    postponing it. From now on the agent is offered for that zone's prospects no more."""
    unknown = set(changes) - set(AGENT_DETAILS) - {"zones"}
    if unknown:
        raise ValueError(f"not an agent's detail: {sorted(unknown)}")
    if "zones" in changes:  # checked before anything changes
        zones = zones_by_slug(dbsession, dbsession.get(Client, agent.client_id), changes["zones"], field="zones")
    before, after = {}, {}
    for name in AGENT_DETAILS:
        if name in changes and changes[name] != getattr(agent, name):
            before[name], after[name] = getattr(agent, name), changes[name]
            setattr(agent, name, changes[name])
    if "zones" in changes:
        old = [zone.slug for zone in agent.zones]
        if {zone.slug for zone in zones} != set(old):
            before["zones"], after["zones"] = old, [zone.slug for zone in zones]
            agent.zones = zones
    if after:
        record(dbsession, client_id=agent.client_id, agent_id=agent.id, subject="agent", action="updated",
               before=before, after=after, actor=actor, at=now)
    dbsession.flush()
    return agent


def zones_by_slug(dbsession, client, slugs, field):
    slugs = list(dict.fromkeys(slugs))
    if not slugs:
        return []
    zones = dbsession.execute(select(Zone).where(Zone.client_id == client.id, Zone.slug.in_(slugs))).scalars().all()
    missing = set(slugs) - {zone.slug for zone in zones}
    if missing:
        raise RuleViolation(
            "validation_error",
            _("unknown_zone", default="Unknown zone: ${zones}.", mapping={"zones": ", ".join(sorted(missing))}),
            field,
        )
    return sorted(zones, key=lambda zone: zone.name)  # the order Agent.zones loads them in


def create_user(dbsession, *, email, password, role, name="", client=None, zones=(), agent=None,
                may_book_out_of_schedule=False):
    """A login. Client-side roles belong to a client; zone managers and agents also to their folders.
    An operator may be trusted with rule 9's exception from the start."""
    email = email.strip().lower()
    if dbsession.execute(select(User.id).where(func.lower(User.email) == email)).first():
        raise RuleViolation("conflict", _("email_in_use", default="This e-mail is already in use."), "email")
    check_user_shape(role, client, zones, agent)
    check_out_of_schedule_role(role, may_book_out_of_schedule)
    password_policy(password, "password", email)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        client_id=client.id if client is not None else None,
        agent_id=agent.id if agent is not None else None,
        active=True,
        may_book_out_of_schedule=may_book_out_of_schedule,
    )
    if role == "zone_manager":
        user.zones = list(zones)
    dbsession.add(user)
    dbsession.flush()
    return user


def check_out_of_schedule_role(role, allowed):
    """Only operators carry the permission: account managers and admins book out of schedule anyway,
    and client-side users never book."""
    if allowed and role != "operator":
        raise RuleViolation("validation_error", _(
            "out_of_schedule_only_for_operators",
            default="Only an operator can be allowed to book out of schedule."), "may_book_out_of_schedule")


def set_out_of_schedule_permission(user, allowed):
    """Grant or withdraw rule 9's exception to an operator; it applies from his/her next request.
    Not in the change history: that is kept per client, and an operator belongs to none."""
    check_out_of_schedule_role(user.role, allowed)
    user.may_book_out_of_schedule = allowed
    return user


def check_user_shape(role, client, zones, agent):
    """Client-side roles belong to a client; zone managers to zones; agents to an agent."""
    if role in CLIENT_ROLES and client is None:
        raise RuleViolation(
            "validation_error", _("client_required", default="This role belongs to a client."), "client"
        )
    if role not in CLIENT_ROLES and (client is not None or zones or agent is not None):
        raise RuleViolation(
            "validation_error",
            _("staff_without_client", default="Call-center staff do not belong to a client."),
            "client",
        )
    if role == "zone_manager" and not zones:
        raise RuleViolation(
            "validation_error", _("zones_required", default="A zone manager needs at least one zone."), "zones"
        )
    if role == "agent" and agent is None:
        raise RuleViolation("validation_error", _("agent_required", default="Name the agent."), "agent")
    if role != "agent" and agent is not None:
        raise RuleViolation("validation_error", _("agent_only_for_agents", default="Only an agent's login names an agent."), "agent")
    if role != "zone_manager" and zones:
        raise RuleViolation(
            "validation_error", _("zones_only_for_zone_managers", default="Only zone managers have zones."), "zones"
        )


def client_by_slug(dbsession, slug, field="client", unknown_code="validation_error"):
    client = dbsession.execute(select(Client).where(Client.slug == slug)).scalar_one_or_none()
    if client is None:
        message = _("unknown_client", default="Unknown client.") if unknown_code == "validation_error" else None
        raise RuleViolation(unknown_code, message, field)
    return client


AGENT_BY_SLUG = select(Agent).where(Agent.client_id == bindparam("client_id"), Agent.slug == bindparam("slug"))
AGENT_WITH_CALENDAR_BY_SLUG = AGENT_BY_SLUG.options(joinedload(Agent.zones), joinedload(Agent.schedule))


def agent_by_slug(dbsession, client, slug, field="agent", with_calendar=False):
    """The client's agent of this slug; ``with_calendar`` loads its zones and weekly schedule in the
    same query (a booking needs both: two round trips less than loading them lazily)."""
    query = AGENT_WITH_CALENDAR_BY_SLUG if with_calendar else AGENT_BY_SLUG
    agent = dbsession.execute(query, {"client_id": client.id, "slug": slug}).unique().scalar_one_or_none()
    if agent is None:
        raise RuleViolation("validation_error", _("unknown_agent", default="Unknown agent."), field)
    return agent


def replace_schedule(agent, intervals):
    """The agent's weekly schedule becomes ``intervals`` (weekday, start, end)."""
    check_intervals(intervals)
    agent.schedule = [ScheduleInterval(weekday=i["weekday"], start_time=i["start"], end_time=i["end"])
                      for i in intervals]
    return agent


def check_intervals(intervals):
    for interval in intervals:
        if interval["end"] <= interval["start"]:
            raise RuleViolation(
                "validation_error",
                _("schedule_end_before_start", default="A schedule interval must end after it starts."),
                "schedule",
            )


def add_schedule_exception(dbsession, agent, *, day, kind, start=None, end=None, reason=""):
    exception = ScheduleException(agent_id=agent.id, day=day, kind=kind, start_time=start, end_time=end,
                                  reason=reason)
    dbsession.add(exception)
    dbsession.flush()
    return exception


def remove_schedule_exception(dbsession, agent, exception_id):
    """An opening or closure entered by mistake goes; the weekly schedule stays as it is."""
    _remove(dbsession, select(ScheduleException).where(ScheduleException.id == exception_id,
                                                       ScheduleException.agent_id == agent.id))


def remove_closed_day(dbsession, client, closed_day_id):
    """A closed day goes: its day is open again (public holidays stay closed)."""
    _remove(dbsession, select(ClosedDay).where(ClosedDay.id == closed_day_id, ClosedDay.client_id == client.id))


def _remove(dbsession, query):
    row = dbsession.execute(query).scalar_one_or_none()
    if row is None:
        raise RuleViolation("not_found")
    dbsession.delete(row)
    dbsession.flush()


def add_closed_day(dbsession, client, *, day, zone=None, agent=None, reason=""):
    """A closed day for the whole client, or only one of its zones or agents."""
    closed = ClosedDay(client_id=client.id, day=day, reason=reason,
                       zone_id=zone.id if zone is not None else None,
                       agent_id=agent.id if agent is not None else None)
    dbsession.add(closed)
    dbsession.flush()
    return closed


def users_matching(query, search=None, role=None, active=None):
    """``query`` of users narrowed to those whose e-mail or name has every word of ``search``, of ``role``,
    active or not (None: all), active ones first then by e-mail: the users lists, cut into pages by the
    database (README "What it does", lists that pass a screen)."""
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    return where_words(query, search, (User.email, User.name)).order_by(User.active.desc(), User.email, User.id)


def agents_matching(client_id, search=None, zone=None, active=None):
    """The client's agents whose name, short name or e-mail has every word of ``search``, working in the zone
    ``zone`` (short name), active or not (None: all); active ones first, then by name."""
    query = select(Agent).where(Agent.client_id == client_id)
    if zone:
        query = query.where(Agent.id.in_(select(agent_zones.c.agent_id).join(Zone, Zone.id == agent_zones.c.zone_id)
                                         .where(Zone.client_id == client_id, Zone.slug == zone)))
    if active is not None:
        query = query.where(Agent.active.is_(active))
    return where_words(query, search, (Agent.name, Agent.slug, Agent.email)).order_by(
        Agent.active.desc(), Agent.name, Agent.id)
