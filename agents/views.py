"""Zones, agents and users through the API (spec §9.1)."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agents import schemas, services
from agents.models import Agent, Zone
from agents.resources import AgentContainer, UserContainer, ZoneContainer
from agents.serialize import agent_json, user_json, zone_json
from campaigns.resources import client_folder
from portal import permissions as P
from portal.api import api_view, parse
from portal.errors import RuleViolation


@api_view(context=ZoneContainer, request_method="GET", permission=P.VIEW)
def zones_list(context, request):
    zones = request.dbsession.execute(
        select(Zone).where(Zone.client_id == context.__parent__.client.id).order_by(Zone.name)
    ).scalars().all()
    return {"items": [zone_json(zone) for zone in zones]}


@api_view(context=ZoneContainer, request_method="POST", permission=P.MANAGE)
def zone_create(context, request):
    data = parse(request, schemas.ZoneCreate())
    zone = services.create_zone(request.dbsession, context.__parent__.client, **data)
    request.response.status_int = 201
    return zone_json(zone)


@api_view(context=AgentContainer, request_method="GET", permission=P.VIEW)
def agents_list(context, request):
    agents = request.dbsession.execute(
        select(Agent)
        .where(Agent.client_id == context.__parent__.client.id)
        .options(selectinload(Agent.zones), selectinload(Agent.schedule))
        .order_by(Agent.name)
    ).scalars().all()
    return {"items": [agent_json(agent) for agent in agents]}


@api_view(context=AgentContainer, request_method="POST", permission=P.MANAGE)
def agent_create(context, request):
    data = parse(request, schemas.AgentCreate())
    agent = services.create_agent(request.dbsession, context.__parent__.client, **data)
    request.response.status_int = 201
    return agent_json(agent)


@api_view(context=UserContainer, request_method="POST", permission=P.CREATE_USER)
def user_create(context, request):
    """Client-side users need ``manage`` on their client's folder; staff need it on the root (admins)."""
    data = parse(request, schemas.UserCreate())
    client = agent = None
    zones = []
    if data["client"] is not None:
        # Only someone who may manage every client (an admin) learns that a slug does not exist.
        unknown = "validation_error" if request.has_permission(P.MANAGE, request.root) else "forbidden"
        client = services.client_by_slug(request.dbsession, data["client"], unknown_code=unknown)
        zones = services.zones_by_slug(request.dbsession, client, data["zones"], field="zones")
        if data["agent"] is not None:
            agent = services.agent_by_slug(request.dbsession, client, data["agent"])
    services.check_user_shape(data["role"], client, zones, agent)
    target = client_folder(request, client) if client else request.root
    if not request.has_permission(P.MANAGE, target):
        raise RuleViolation("forbidden", field="client" if client else "role")
    user = services.create_user(
        request.dbsession,
        email=data["email"],
        password=data["password"],
        role=data["role"],
        name=data["name"],
        client=client,
        zones=zones,
        agent=agent,
    )
    request.response.status_int = 201
    return user_json(user, client=client, agent=agent)


def includeme(config):
    config.scan("agents.views")
