"""What a folder home reads for its panels, one query each and only the columns shown (spec §4, §10:
a folder of a million appointments answers as fast as a small one)."""
from typing import NamedTuple

from pyramid.traversal import quote_path_segment
from sqlalchemy import func, literal, null, select, true, union_all

from agents.models import Agent, Zone, agent_zones
from callcenter.appointments.models import ACTIVE_STATES, Appointment
from callcenter.appointments.services import in_scope
from campaigns.models import Campaign

UPCOMING_LIMIT = 20


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


def upcoming_appointments(dbsession, scope, *, now, limit=UPCOMING_LIMIT):
    """The folder's active appointments from now on, soonest first: an index range of the folder's
    (client, zone or agent) appointments by start, and the names of their agent, zone and campaign."""
    rows = dbsession.execute(
        select(Appointment.number, Appointment.start_at, Appointment.prospect_name, Appointment.prospect_company,
               Appointment.prospect_postal_code, Appointment.prospect_phone, Appointment.state,
               Appointment.needs_rescheduling, Agent.name, Zone.name, Campaign.name)
        .join(Agent, Agent.id == Appointment.agent_id)
        .join(Campaign, Campaign.id == Appointment.campaign_id)
        .outerjoin(Zone, Zone.id == Appointment.zone_id)
        .where(*in_scope(scope), Appointment.start_at >= now, Appointment.state.in_(ACTIVE_STATES))
        .order_by(Appointment.start_at, Appointment.id)
        .limit(limit)
    ).all()
    return [UpcomingAppointment(*row[:8], Named(row[8]), Named(row[9]) if row[9] is not None else None,
                                Named(row[10])) for row in rows]


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


def client_subfolders(dbsession, client_id, base_url, agents_limit):
    """The client folder's links below it in one query: every campaign with its counters, every zone,
    and the first ``agents_limit`` agents (active first), each in the order the page lists them.
    Returns (campaigns, zones, agents)."""
    counters = (Campaign.purchased, Campaign.taken, Campaign.to_confirm, Campaign.cancelled, Campaign.recovered,
                Campaign.recoveries_pending)
    nothing = [null()] * len(counters)
    campaigns = select(literal(0).label("kind"), func.row_number().over(order_by=Campaign.name).label("position"),
                       Campaign.slug, Campaign.name, true().label("active"), *counters
                       ).where(Campaign.client_id == client_id)
    zones = select(literal(1), func.row_number().over(order_by=Zone.name), Zone.slug, Zone.name, true(), *nothing
                   ).where(Zone.client_id == client_id)
    first_agents = (select(Agent.slug, Agent.name, Agent.active,
                           func.row_number().over(order_by=(Agent.active.desc(), Agent.name)).label("position"))
                    .where(Agent.client_id == client_id).subquery())
    agents = select(literal(2), first_agents.c.position, first_agents.c.slug, first_agents.c.name,
                    first_agents.c.active, *nothing).where(first_agents.c.position <= agents_limit)
    every = union_all(campaigns, zones, agents).subquery()
    rows = dbsession.execute(select(every).order_by(every.c.kind, every.c.position)).all()
    found = ([], [], [])
    folder_urls = (base_url + "campaigns/", base_url + "zones/", base_url + "agents/")
    for kind, _position, slug, name, active, *values in rows:
        url = folder_urls[kind] + quote_path_segment(slug) + "/"
        found[kind].append(CampaignLink(url, slug, name, *values) if kind == 0 else Link(url, slug, name, active))
    return found


def zone_agents(dbsession, zone_id, agents_url):
    """The links to a zone's agents, by name."""
    rows = dbsession.execute(
        select(Agent.slug, Agent.name, Agent.active).join(agent_zones, agent_zones.c.agent_id == Agent.id)
        .where(agent_zones.c.zone_id == zone_id).order_by(Agent.name)
    ).all()
    return [Link(agents_url + quote_path_segment(slug) + "/", slug, name, active) for slug, name, active in rows]
