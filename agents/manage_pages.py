"""Management pages (browser) of zones, agents and users (spec §6, account managers; staff: admins).

The same services as the API views (agents/services.py), so the same refusals; see campaigns/manage_pages.py.
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agents import schemas, services
from agents.models import Agent, Zone
from agents.resources import (
    AgentContainer,
    AgentFolder,
    UserContainer,
    ZoneContainer,
    ZoneFolder,
)
from campaigns.manage_pages import client_crumb, crumb, flash, form_page
from campaigns.resources import ClientFolder
from portal import permissions as P
from portal.errors import RuleViolation
from portal.forms import make_form
from portal.i18n import _
from portal.listing import page_of_query, search_text
from portal.accounts.models import CLIENT_ROLES, STAFF_ROLES, User
from portal.resources import as_number


def client_zones(request, client):
    return request.dbsession.execute(select(Zone).where(Zone.client_id == client.id).order_by(Zone.name)).scalars().all()


# --- Zones --------------------------------------------------------------------------------------------------


@view_config(context=ZoneContainer, request_method="GET", permission=P.VIEW, renderer="agents:templates/zones.jinja2")
@view_config(context=ZoneContainer, request_method="POST", permission=P.MANAGE,
             renderer="agents:templates/zones.jinja2")
def zones_page(context, request):
    """The client's zones with what they cover, each a link to its folder; for who may manage, the form
    adding one (the client's users read the list to reach their zones' folders)."""
    folder = context.__parent__
    rendered = None
    if request.has_permission(P.MANAGE, context):
        form = make_form(request, schemas.ZoneForm(), buttons=(_("Add"),))
        done, rendered = form_page(
            request, form, lambda appstruct: services.create_zone(request.dbsession, folder.client, **appstruct),
            _("zone_added", default="Zone added."), lambda _zone: request.resource_url(context))
        if done:
            return done
    return {"form": rendered, "zones": client_zones(request, folder.client), "folder": folder,
            "crumbs": [client_crumb(request, folder)]}


@view_config(context=ZoneFolder, name="edit", permission=P.MANAGE, renderer="campaigns:templates/manage_form.jinja2")
def zone_edit_page(context, request):
    zone = context.zone
    form = make_form(request, schemas.ZoneEditForm(), buttons=(_("Save"),))
    done, rendered = form_page(
        request, form, lambda appstruct: services.update_zone(zone, **appstruct),
        _("zone_saved", default="Zone saved: the next prospects are routed with it."),
        lambda _zone: request.resource_url(context.__parent__),
        appstruct={"name": zone.name, "provinces": zone.provinces or [], "postal_codes": zone.postal_codes or []})
    folder = context.__parent__.__parent__
    return done or {"title": _("Edit the zone"), "form": rendered,
                    "crumbs": [client_crumb(request, folder), crumb(request, context.__parent__, _("Zones")),
                               crumb(request, context, zone.name)]}


# --- Agents -------------------------------------------------------------------------------------------------


@view_config(context=AgentContainer, request_method="GET", permission=P.VIEW,
             renderer="agents:templates/agents.jinja2")
@view_config(context=AgentContainer, request_method="POST", permission=P.MANAGE,
             renderer="agents:templates/agents.jinja2")
def agents_page(context, request):
    """The client's agents, each a link to his/her folder, searched by name or e-mail and in pages;
    the management buttons for who may manage."""
    folder = context.__parent__
    search = search_text(request)
    zone = request.GET.get("zone") or None
    zones = client_zones(request, folder.client)
    if zone is not None and zone not in {known.slug for known in zones}:
        raise RuleViolation("validation_error", field="zone")
    state = list_choice(request, "state", ("active", "inactive"))
    query = services.agents_matching(folder.client.id, search, zone, None if state is None else state == "active")
    listing = page_of_query(request, request.dbsession, query.options(selectinload(Agent.zones)))
    return {"agents": listing["items"], "folder": folder, "crumbs": [client_crumb(request, folder)], "search": search,
            "zones": zones, "filters": {"zone": zone, "state": state}, "listing": listing, **listing}


@view_config(context=AgentContainer, name="add", permission=P.MANAGE,
             renderer="campaigns:templates/manage_form.jinja2")
def agent_add_page(context, request):
    """A new agent works Monday to Friday 09-13 and 14-18 until his/her week is edited (the next page)."""
    folder = context.__parent__
    form = make_form(request, schemas.AgentForm(), buttons=(_("Add"),), zones=client_zones(request, folder.client))

    def perform(appstruct):
        appstruct["zones"] = sorted(appstruct["zones"])
        return services.create_agent(request.dbsession, folder.client, schedule=services.DEFAULT_WEEK, **appstruct)

    done, rendered = form_page(
        request, form, perform, _("agent_added", default="Agent added with the standard week: adjust it here if needed."),
        lambda agent: request.resource_url(context, agent.slug, "edit-schedule"))
    return done or {"title": _("New agent"), "form": rendered,
                    "crumbs": [client_crumb(request, folder), crumb(request, context, _("Agents"))],
                    "intro": _("agent_add_intro", default="The weekly schedule starts as Monday to Friday, 09:00-13:00 "
                                                          "and 14:00-18:00; the next page edits it.")}


@view_config(context=AgentFolder, name="edit", permission=P.MANAGE, renderer="campaigns:templates/manage_form.jinja2")
def agent_edit_page(context, request):
    """Name, e-mail, phone and zones; the slug stays (see services.update_agent about zones taken away)."""
    agent = context.agent
    folder = context.__parent__.__parent__
    form = make_form(request, schemas.AgentEditForm(), buttons=(_("Save"),), zones=client_zones(request, folder.client))

    def perform(appstruct):
        appstruct["zones"] = sorted(appstruct["zones"])
        return services.update_agent(request.dbsession, agent, actor=request.user, now=request.now, **appstruct)

    done, rendered = form_page(
        request, form, perform, _("agent_saved", default="Agent saved."),
        lambda _agent: request.resource_url(context.__parent__),
        appstruct={"name": agent.name, "email": agent.email, "phone": agent.phone,
                   "zones": [zone.slug for zone in agent.zones]})
    return done or {"title": _("Edit the agent"), "form": rendered,
                    "crumbs": [client_crumb(request, folder), crumb(request, context.__parent__, _("Agents")),
                               crumb(request, context, agent.name)],
                    "intro": _("agent_edit_intro", default="An agent taken out of a zone keeps the appointments "
                                                           "already booked there; he/she is offered for that zone's "
                                                           "prospects no more.")}


@view_config(context=AgentFolder, name="deactivate", request_method="POST", permission=P.MANAGE)
@view_config(context=AgentFolder, name="reactivate", request_method="POST", permission=P.MANAGE)
def agent_active(context, request):
    active = request.view_name == "reactivate"
    services.set_agent_active(request.dbsession, context.agent, active, actor=request.user, now=request.now)
    flash(request, _("agent_reactivated", default="Agent active again: his/her free slots are offered.") if active
          else _("agent_deactivated", default="Agent deactivated: no new appointments; the booked ones stay."))
    return HTTPFound(request.resource_url(context.__parent__))


# --- Users of a client, and the call-center's staff -------------------------------------------------------------


def users_rows(request, query, roles):
    """The users list of a page: searched by e-mail or name, narrowed by role and state (the query string,
    also when a failed form is shown again), one page cut by the database; each row with its zones and agent."""
    search = search_text(request)
    role = list_choice(request, "role", roles)
    state = list_choice(request, "state", ("active", "inactive"))
    query = services.users_matching(query.options(selectinload(User.zones)), search, role,
                                    None if state is None else state == "active")
    listing = page_of_query(request, request.dbsession, query)
    users = listing["items"]
    agent_ids = {user.agent_id for user in users if user.agent_id}
    agents = dict(request.dbsession.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids))).all()) \
        if agent_ids else {}
    rows = [{"user": user, "zones": ", ".join(zone.name for zone in user.zones), "agent": agents.get(user.agent_id)}
            for user in users]
    return {"rows": rows, "search": search, "filters": {"role": role, "state": state}, "roles": roles,
            "listing": listing}


def list_choice(request, name, allowed):
    """A filter of a list from the query string: empty is none, an unknown value a 400."""
    value = request.GET.get(name, "")
    if not value:
        return None
    if value not in allowed:
        raise RuleViolation("validation_error", field=name)
    return value


@view_config(context=ClientFolder, name="users", permission=P.MANAGE, renderer="agents:templates/users.jinja2")
def client_users_page(context, request):
    """The client's logins and the form adding one; the shape rules are the API's (check_user_shape)."""
    client = context.client
    zones = client_zones(request, client)
    agents = request.dbsession.execute(
        select(Agent).where(Agent.client_id == client.id, Agent.active.is_(True)).order_by(Agent.name)
    ).scalars().all()
    form = make_form(request, schemas.UserForm(), buttons=(_("Add"),), zones=zones, agents=agents)

    def perform(appstruct):
        chosen = set(appstruct.pop("zones"))
        agent_slug = appstruct.pop("agent")
        return services.create_user(
            request.dbsession, client=client, zones=[zone for zone in zones if zone.slug in chosen],
            agent=next((agent for agent in agents if agent.slug == agent_slug), None), **appstruct)

    done, rendered = form_page(request, form, perform, _("user_added", default="User added."),
                               lambda _user: request.resource_url(context, "users"))
    return done or {"form": rendered, **users_rows(request, select(User).where(User.client_id == client.id),
                                                   CLIENT_ROLES),
                    "title": _("Users"), "action": request.resource_url(context, "user-active"),
                    "crumbs": [client_crumb(request, context)], "role_labels": role_labels(request)}


@view_config(context=UserContainer, permission=P.MANAGE, renderer="agents:templates/users.jinja2")
def staff_page(context, request):
    """Operators, account managers and admins: admins only (``manage`` on the root)."""
    form = make_form(request, schemas.StaffForm(), buttons=(_("Add"),))
    done, rendered = form_page(request, form, lambda appstruct: services.create_user(request.dbsession, **appstruct),
                               _("user_added", default="User added."), lambda _user: request.resource_url(context))
    return done or {"form": rendered, **users_rows(request, select(User).where(User.role.in_(STAFF_ROLES)), STAFF_ROLES),
                    "title": _("Call-center staff"), "action": request.resource_url(context, "active"),
                    "trust_action": request.resource_url(context, "out-of-schedule"),
                    "crumbs": [], "role_labels": role_labels(request)}


@view_config(context=UserContainer, name="out-of-schedule", request_method="POST", permission=P.MANAGE)
def staff_out_of_schedule(context, request):
    """Grant or withdraw rule 9's exception to the operator ``id`` of the staff list (admins only)."""
    user = listed_user(request, select(User).where(User.role.in_(STAFF_ROLES)))
    allowed = request.POST.get("allowed") == "1"
    services.set_out_of_schedule_permission(user, allowed)
    flash(request, _("out_of_schedule_granted", default="The operator may now book out of schedule.") if allowed
          else _("out_of_schedule_withdrawn", default="The operator may no longer book out of schedule."))
    return HTTPFound(request.resource_url(context))


def role_labels(request):
    return {role: request.localizer.translate(label)
            for role, label in schemas.CLIENT_ROLE_LABELS + schemas.STAFF_ROLE_LABELS}


@view_config(context=ClientFolder, name="user-active", request_method="POST", permission=P.MANAGE)
def client_user_active(context, request):
    set_active(request, select(User).where(User.client_id == context.client.id))
    return HTTPFound(request.resource_url(context, "users"))


@view_config(context=UserContainer, name="active", request_method="POST", permission=P.MANAGE)
def staff_user_active(context, request):
    set_active(request, select(User).where(User.role.in_(STAFF_ROLES)))
    return HTTPFound(request.resource_url(context))


def set_active(request, query):
    """Deactivate or reactivate the user ``id`` of the page's list; another one is not found."""
    user = listed_user(request, query)
    active = request.POST.get("active") == "1"
    services.set_user_active(request.dbsession, user, active, actor=request.user, now=request.now)
    flash(request, _("user_reactivated", default="User active again.") if active
          else _("user_deactivated", default="User deactivated: he/she can no longer log in."))


def listed_user(request, query):
    """The user ``id`` (POSTed) among those of the page's list, else not found."""
    number = as_number(request.POST.get("id", ""))
    user = request.dbsession.execute(query.where(User.id == number)).scalar_one_or_none() \
        if number is not None else None
    if user is None:
        raise RuleViolation("not_found")
    return user


def includeme(config):
    config.scan("agents.manage_pages")
