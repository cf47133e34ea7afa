"""What a folder home reads for its panels: one query each, only the columns shown, each statement
built once per process for the shape of the folder's scope (spec §4, §10: a folder of a million
appointments answers as fast as a small one)."""
from functools import cache
from typing import NamedTuple

from pyramid.traversal import quote_path_segment
from sqlalchemy import bindparam, func, literal, null, select, true, union_all

from agents.models import Agent, Zone, agent_zones
from callcenter.appointments.models import ACTIVE_STATES, Appointment
from campaigns.models import Campaign
from portal.history import Change
from portal.accounts.models import User

UPCOMING_LIMIT = 20


def scope_shape(scope):
    """The folder's scope as a statement's cache key: ((column, several values?), ...)."""
    return tuple(sorted((column, isinstance(value, list)) for column, value in scope.items()))


def scope_clauses(table, shape):
    return [table.c[column].in_(bindparam(column, expanding=True)) if several else table.c[column] == bindparam(column)
            for column, several in shape]


# --- Upcoming appointments --------------------------------------------------------------------


class Named(NamedTuple):
    name: str


class UpcomingAppointment(NamedTuple):
    """The columns of the upcoming list (callcenter.appointments:templates/_macros.jinja2 appointment_table)."""

    number: int
    start_at: object
    prospect_name: str
    prospect_company: str | None
    prospect_postal_code: str
    prospect_phone: str
    state: str
    needs_rescheduling: bool
    agent: Named
    zone: Named | None
    campaign: Named


@cache
def upcoming_statement(shape, limit):
    a, agents, zones, campaigns = (Appointment.__table__, Agent.__table__, Zone.__table__, Campaign.__table__)
    return (
        select(a.c.number, a.c.start_at, a.c.prospect_name, a.c.prospect_company, a.c.prospect_postal_code,
               a.c.prospect_phone, a.c.state, a.c.needs_rescheduling, agents.c.name, zones.c.name, campaigns.c.name)
        .select_from(a.join(agents, agents.c.id == a.c.agent_id).join(campaigns, campaigns.c.id == a.c.campaign_id)
                     .outerjoin(zones, zones.c.id == a.c.zone_id))
        .where(*scope_clauses(a, shape), a.c.start_at >= bindparam("now"), a.c.state.in_(ACTIVE_STATES))
        .order_by(a.c.start_at, a.c.id)
        .limit(limit)
    )


def upcoming_appointments(dbsession, scope, *, now, limit=UPCOMING_LIMIT):
    """The folder's active appointments from now on, soonest first: an index range of the folder's
    (client, campaign, zone or agent) appointments by start, with the names of their agent, zone and campaign."""
    rows = dbsession.execute(upcoming_statement(scope_shape(scope), limit), dict(scope, now=now))
    return [UpcomingAppointment(*row[:8], Named(row[8]), Named(row[9]) if row[9] is not None else None,
                                Named(row[10])) for row in rows]


# --- Recent changes ---------------------------------------------------------------------------


class Actor(NamedTuple):
    name: str
    email: str


class ChangeLine(NamedTuple):
    """What callcenter.appointments.history.describe reads of a change."""

    subject: str
    action: str
    before: dict
    after: dict
    agent_id: int | None
    zone_id: int | None
    campaign_id: int | None
    appointment_number: int | None
    at: object
    actor: Actor | None


@cache
def changes_statement(shape, limit):
    """The changes with their actor and the names their words need: their agent's, zone's and campaign's,
    and the agents' whose slugs they hold before and after (a reassignment)."""
    c, users, agents, zones, campaigns = (Change.__table__, User.__table__, Agent.__table__, Zone.__table__,
                                          Campaign.__table__)
    slug_before, slug_after = c.c.before["agent"].as_string(), c.c.after["agent"].as_string()

    def by_slug(slug):  # scalar subqueries, run for the rows kept only: a join of six tables costs more to plan
        return select(agents.c.name).where(agents.c.client_id == c.c.client_id, agents.c.slug == slug).scalar_subquery()

    clauses = [c.c[column].in_(bindparam(column, expanding=True)) | c.c[column].is_(None) if several
               else c.c[column] == bindparam(column) for column, several in shape]
    return (
        select(c.c.subject, c.c.action, c.c.before, c.c.after, c.c.agent_id, c.c.zone_id, c.c.campaign_id,
               c.c.appointment_number, c.c.at, users.c.name, users.c.email,
               select(agents.c.name).where(agents.c.id == c.c.agent_id).scalar_subquery(),
               select(zones.c.name).where(zones.c.id == c.c.zone_id).scalar_subquery(),
               select(campaigns.c.name).where(campaigns.c.id == c.c.campaign_id).scalar_subquery(),
               slug_before, by_slug(slug_before), slug_after, by_slug(slug_after))
        .select_from(c.outerjoin(users, users.c.id == c.c.actor_id))
        .where(*clauses).order_by(c.c.at.desc(), c.c.id.desc()).limit(limit)
    )


def folder_changes(dbsession, scope, limit, names):
    """The newest changes of a folder, as portal.history.recent_changes reads them (a zone manager in an
    agent's folder: the changes of his/her zones and the agent's own); the names they need go into
    ``names`` (callcenter.appointments.history.Names)."""
    lines = []
    for row in dbsession.execute(changes_statement(scope_shape(scope), limit), scope):
        lines.append(ChangeLine(*row[:9], Actor(row[9], row[10]) if row[10] is not None else None))
        (agent_id, zone_id, campaign_id), (agent, zone, campaign) = row[4:7], row[11:14]
        if agent is not None:
            names.agent_by_id[agent_id] = agent
        if zone is not None:
            names.zone_by_id[zone_id] = zone
        if campaign is not None:
            names.campaign_by_id[campaign_id] = campaign
        for slug, name in (row[14:16], row[16:18]):
            if name is not None:
                names.agent_by_slug[slug] = name
    return lines


# --- Links to the folders below -------------------------------------------------------------


class CampaignLink(NamedTuple):
    url: str
    slug: str
    name: str
    purchased: int
    taken: int
    to_confirm: int
    cancelled: int
    recovered: int
    recoveries_pending: int


class Link(NamedTuple):
    url: str
    slug: str
    name: str
    active: bool = True


@cache
def subfolders_statement(agents_limit):
    campaigns, zones, agents = Campaign.__table__.c, Zone.__table__.c, Agent.__table__.c
    counters = (campaigns.purchased, campaigns.taken, campaigns.to_confirm, campaigns.cancelled, campaigns.recovered,
                campaigns.recoveries_pending)
    nothing = [null()] * len(counters)
    client_id = bindparam("client_id")
    first_campaigns = select(literal(0).label("kind"), func.row_number().over(order_by=campaigns.name).label("position"),
                             campaigns.slug, campaigns.name, true().label("active"), *counters
                             ).where(campaigns.client_id == client_id)
    first_zones = select(literal(1), func.row_number().over(order_by=zones.name), zones.slug, zones.name, true(),
                         *nothing).where(zones.client_id == client_id)
    # The first active agents by name, then the first inactive ones: two ranges of the index on
    # (client_id, active, name), not a sort of the client's thousand agents.
    by_state = [select(agents.slug, agents.name, agents.active)
                .where(agents.client_id == client_id, agents.active.is_(active))
                .order_by(agents.name).limit(agents_limit).subquery() for active in (True, False)]
    candidates = union_all(*(select(part) for part in by_state)).subquery()
    ranked_agents = select(candidates, func.row_number().over(
        order_by=(candidates.c.active.desc(), candidates.c.name)).label("position")).subquery()
    first_agents = select(literal(2), ranked_agents.c.position, ranked_agents.c.slug, ranked_agents.c.name,
                          ranked_agents.c.active, *nothing).where(ranked_agents.c.position <= agents_limit)
    every = union_all(first_campaigns, first_zones, first_agents).subquery()
    return select(every).order_by(every.c.kind, every.c.position)


def client_subfolders(dbsession, client_id, base_url, agents_limit):
    """The client folder's links below it in one query: every campaign with its counters, every zone,
    and the first ``agents_limit`` agents (active first), each in the order the page lists them.
    Returns (campaigns, zones, agents)."""
    rows = dbsession.execute(subfolders_statement(agents_limit), {"client_id": client_id})
    found = ([], [], [])
    folder_urls = (base_url + "campaigns/", base_url + "zones/", base_url + "agents/")
    for kind, _position, slug, name, active, *values in rows:
        url = folder_urls[kind] + quote_path_segment(slug) + "/"
        found[kind].append(CampaignLink(url, slug, name, *values) if kind == 0 else Link(url, slug, name, active))
    return found


@cache
def zone_agents_statement():
    agents = Agent.__table__.c
    return (select(agents.slug, agents.name, agents.active)
            .select_from(Agent.__table__.join(agent_zones, agent_zones.c.agent_id == agents.id))
            # The client's agents (an index range), not every agent of the portal, joined to the zone's.
            .where(agent_zones.c.zone_id == bindparam("zone_id"), agents.client_id == bindparam("client_id"))
            .order_by(agents.name))


def zone_agents(dbsession, zone, agents_url):
    """The links to a zone's agents, by name."""
    values = {"zone_id": zone.id, "client_id": zone.client_id}
    return [Link(agents_url + quote_path_segment(slug) + "/", slug, name, active)
            for slug, name, active in dbsession.execute(zone_agents_statement(), values)]
