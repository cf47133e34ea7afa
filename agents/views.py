"""Zones, agents and users through the API (spec §9.1)."""
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agents import schemas, services
from agents.models import Agent, ClosedDay, ScheduleException, Zone
from agents.resources import AgentContainer, AgentFolder, UserContainer, ZoneContainer
from agents.serialize import agent_json, closed_day_json, exception_json, user_json, zone_json
from campaigns.resources import ClientFolder, client_folder, client_of
from portal import permissions as P
from portal.api.plumbing import api_view, parse
from portal.errors import RuleViolation
from portal.resources import as_number


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


@api_view(context=AgentFolder, request_method="PATCH", permission=P.MANAGE)
def agent_update(context, request):
    data = parse(request, schemas.AgentUpdate())
    agent = services.update_agent(request.dbsession, context.agent, actor=request.user, now=request.now, **data)
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
        may_book_out_of_schedule=data["may_book_out_of_schedule"],
    )
    request.response.status_int = 201
    return user_json(user, client=client, agent=agent)


@api_view(context=AgentFolder, name="schedule", request_method="GET", permission=P.VIEW)
def schedule_get(context, request):
    """The weekly schedule and the dated openings and closures from today on."""
    today = request.now.astimezone(ZoneInfo(client_of(context).timezone)).date()
    exceptions = request.dbsession.execute(
        select(ScheduleException)
        .where(ScheduleException.agent_id == context.agent.id, ScheduleException.day >= today)
        .order_by(ScheduleException.day, ScheduleException.start_time)
    ).scalars().all()
    return {"schedule": agent_json(context.agent)["schedule"],
            "exceptions": [exception_json(exception) for exception in exceptions]}


@api_view(context=AgentFolder, name="schedule", request_method="PUT", permission=P.MANAGE)
def schedule_replace(context, request):
    data = parse(request, schemas.ScheduleReplace())
    services.replace_schedule(context.agent, data["schedule"])
    request.dbsession.flush()
    return schedule_get(context, request)


@api_view(context=AgentFolder, name="exceptions", request_method="POST", permission=P.MANAGE)
def exception_create(context, request):
    data = parse(request, schemas.ExceptionCreate())
    exception = services.add_schedule_exception(request.dbsession, context.agent, **data)
    request.response.status_int = 201
    return exception_json(exception)


@api_view(context=AgentFolder, name="exceptions", request_method="DELETE", permission=P.MANAGE)
def exception_delete(context, request):
    services.remove_schedule_exception(request.dbsession, context.agent, item_id(request))
    request.response.status_int = 204
    return request.response


@api_view(context=ClientFolder, name="closed-days", request_method="GET", permission=P.VIEW)
def closed_days_list(context, request):
    client = context.client
    rows = request.dbsession.execute(
        select(ClosedDay).where(ClosedDay.client_id == client.id).order_by(ClosedDay.day)
    ).scalars().all()
    zones = {zone.id: zone for zone in request.dbsession.execute(select(Zone).where(Zone.client_id == client.id)).scalars()}
    agents = {agent.id: agent for agent in request.dbsession.execute(
        select(Agent).where(Agent.client_id == client.id)).scalars()}
    return {"items": [closed_day_json(row, zones, agents) for row in rows]}


@api_view(context=ClientFolder, name="closed-days", request_method="POST", permission=P.MANAGE)
def closed_day_create(context, request):
    data = parse(request, schemas.ClosedDayCreate())
    client = context.client
    zone = services.zones_by_slug(request.dbsession, client, [data["zone"]], field="zone")[0] if data["zone"] else None
    agent = services.agent_by_slug(request.dbsession, client, data["agent"]) if data["agent"] else None
    closed = services.add_closed_day(request.dbsession, client, day=data["day"], zone=zone, agent=agent,
                                     reason=data["reason"])
    request.response.status_int = 201
    return closed_day_json(closed, {zone.id: zone} if zone else {}, {agent.id: agent} if agent else {})


@api_view(context=ClientFolder, name="closed-days", request_method="DELETE", permission=P.MANAGE)
def closed_day_delete(context, request):
    services.remove_closed_day(request.dbsession, context.client, item_id(request))
    request.response.status_int = 204
    return request.response


def item_id(request):
    """The id after a collection's name (.../closed-days/12): one segment, a number, else 404."""
    number = as_number(request.subpath[0]) if len(request.subpath) == 1 else None
    if number is None:
        raise RuleViolation("not_found")
    return number


def includeme(config):
    config.scan("agents.views")
