"""Folder pages, the operators' workspace, booking (browser and API)."""
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from agents.models import Agent, Zone
from agents.pages import schedule_overview
from agents.resources import AgentFolder, ZoneFolder
from agents.serialize import agent_json, zone_json
from callcenter.booking import schemas
from callcenter.appointments import services
from callcenter.appointments.counters import folder_counts
from callcenter.folders.extras import feed_panel
from callcenter.folders.panels import client_subfolders, upcoming_appointments, zone_agents
from callcenter.folders.extras import declare_from_form, folder_extras
from callcenter.appointments.resources import AppointmentContainer, AppointmentResource, CampaignAppointments
from callcenter.appointments.cursors import encode_cursor
from callcenter.appointments.serialize import appointment_json, page_json
from campaigns.models import Campaign, Client
from campaigns.resources import CampaignFolder, ClientFolder, client_folder_of
from campaigns.alerts import recent_alerts
from campaigns.services import campaign_counts, campaign_steps, client_counts, summed_counts
from portal import permissions as P
from portal.api.plumbing import api_view, deserialize
from portal.i18n import LOCALE_COOKIE, _
from portal.accounts.security import principals_for


def counts_of(request, folder, campaigns=None):
    """The Info and Appointments boxes of a folder (spec §9.1); a client's from its ``campaigns`` when the
    page has read them already."""
    if isinstance(folder, ClientFolder):
        if campaigns is not None:
            return summed_counts(campaigns)
        return client_counts(request.dbsession, folder.client.id)
    if isinstance(folder, CampaignFolder):
        return campaign_counts(folder.campaign)
    return folder_counts(request.dbsession, folder.appointment_scope)


# --- Folder homes (client, campaign, zone, agent) ---------------------------------------------


@view_config(context=ClientFolder, permission=P.VIEW, renderer="callcenter.folders:templates/folder.jinja2")
@view_config(context=CampaignFolder, permission=P.VIEW, renderer="callcenter.folders:templates/folder.jinja2")
@view_config(context=ZoneFolder, permission=P.VIEW, renderer="callcenter.folders:templates/folder.jinja2")
@view_config(context=AgentFolder, permission=P.VIEW, renderer="callcenter.folders:templates/folder.jinja2")
def folder_home(context, request):
    return folder_page(context, request)


def folder_page(context, request, failed_form=None):
    """A folder's home: boxes, upcoming appointments, recent changes and unavailabilities (spec §4)."""
    client_folder = client_folder_of(context)
    navigation = folder_navigation(request, context)
    return dict(
        folder_extras(request, context, failed_form),
        folder=context,
        client=client_folder.client,
        client_url=request.resource_url(client_folder) if request.has_permission(P.VIEW, client_folder) else None,
        counts=counts_of(request, context, navigation["campaigns"]),
        alerts=recent_alerts(request.dbsession, client_folder.client.id)
        if isinstance(context, (ClientFolder, CampaignFolder)) else [],
        upcoming=upcoming_appointments(request.dbsession, context.appointment_scope, now=request.now),
        schedule=schedule_overview(request, context.agent, client_folder.client)
        if isinstance(context, AgentFolder) else None,
        feed=feed_panel(request, context),
        steps=campaign_steps(request.dbsession, context.campaign) if isinstance(context, CampaignFolder) else None,
        navigation=navigation,
    )


SUBFOLDER_LINKS = 50  # agents listed on the client folder; the rest through the list of agents


def folder_navigation(request, folder):
    """Links to the folders below, read-only (spec §4, §6): on the client folder its campaigns (their counters
    are columns: nothing counted), zones and agents; on a zone folder its agents; for a manager of several
    zones, his/her zones. One query, whatever the folder holds."""
    dbsession = request.dbsession
    navigation = {"campaigns": None, "zones": None, "agents": None, "more_agents": False, "my_zones": None}
    if isinstance(folder, ClientFolder):
        campaigns, zones, agents = client_subfolders(dbsession, folder.client.id, request.resource_url(folder),
                                                     SUBFOLDER_LINKS + 1)
        navigation["campaigns"], navigation["zones"] = campaigns, zones
        navigation["agents"], navigation["more_agents"] = agents[:SUBFOLDER_LINKS], len(agents) > SUBFOLDER_LINKS
    elif isinstance(folder, ZoneFolder):
        client_folder = client_folder_of(folder)
        navigation["agents"] = zone_agents(dbsession, folder.zone, request.resource_url(client_folder, "agents", ""))
    if isinstance(folder, (ZoneFolder, AgentFolder)) and request.user is not None:
        managed = {principal for principal in principals_for(request.user) if principal.startswith("zone:")}
        if len(managed) > 1:  # a manager of several zones switches between them
            navigation["my_zones"] = sorted((zone for zone in request.user.zones if f"zone:{zone.id}" in managed),
                                            key=lambda zone: zone.name)
    return navigation


@view_config(context=ClientFolder, name="unavailability", request_method="POST",
             permission=P.DECLARE_UNAVAILABILITY, renderer="callcenter.folders:templates/folder.jinja2")
@view_config(context=ZoneFolder, name="unavailability", request_method="POST",
             permission=P.DECLARE_UNAVAILABILITY, renderer="callcenter.folders:templates/folder.jinja2")
@view_config(context=AgentFolder, name="unavailability", request_method="POST",
             permission=P.DECLARE_UNAVAILABILITY, renderer="callcenter.folders:templates/folder.jinja2")
def unavailability_declare(context, request):
    """Rule 6 from the folder's form; a refusal re-renders the folder with the message, nothing written."""
    form, flagged = declare_from_form(context, request)
    if flagged is None:
        return folder_page(context, request, failed_form=form)
    message = _("flash_unavailability", default="Unavailability declared.")
    if flagged:
        message = _("flash_unavailability_flagged", default="Unavailability declared. Appointments inside it, "
                    "flagged for the call-center to move: ${count}.", mapping={"count": flagged})
    request.session.flash(request.localizer.translate(message), "success")
    return HTTPFound(request.resource_url(context, anchor="unavailabilities"))


@view_config(context=ClientFolder, name="unavailability", request_method="GET", permission=P.VIEW)
@view_config(context=ZoneFolder, name="unavailability", request_method="GET", permission=P.VIEW)
@view_config(context=AgentFolder, name="unavailability", request_method="GET", permission=P.VIEW)
def unavailability_form_page(context, request):
    return HTTPFound(request.resource_url(context, anchor="unavailabilities"))


@api_view(context=ZoneFolder, request_method="GET", permission=P.VIEW)
def zone_get(context, request):
    return zone_json(context.zone, counts_of(request, context))


@api_view(context=AgentFolder, request_method="GET", permission=P.VIEW)
def agent_get(context, request):
    return agent_json(context.agent, counts_of(request, context))


# --- "Tutti gli appuntamenti" ------------------------------------------------------------------


def folder_of_list(context):
    return context.__parent__ if isinstance(context, (AppointmentContainer, CampaignAppointments)) else context


def query_page(context, request):
    query = {key: value for key, value in request.GET.items() if key != LOCALE_COOKIE}
    params = deserialize(schemas.AppointmentQuery(), query)
    filters = services.AppointmentFilters(
        upcoming=params["upcoming"],
        state=params["state"],
        date_from=params["from"],
        date_to=params["to"],
        agent=params["agent"],
        zone=params["zone"],
        campaign=params["campaign"],
        text=params["q"],
        pending_request=params["pending_request"],
    )
    folder = folder_of_list(context)
    page = services.list_appointments(
        request.dbsession,
        folder.appointment_scope,
        filters,
        now=request.now,
        tz=client_folder_of(folder).client.timezone,
        after=params["after"],
        before=params["before"],
        page=params["page"],
        per_page=params["per_page"],
    )
    if params["after"] is not None or params["before"] is not None:
        page.page = None  # reached by a cursor: its number is not known, nor needed
    return params, page


@api_view(context=AppointmentContainer, request_method="GET", permission=P.VIEW)
@api_view(context=ZoneFolder, name="appointments", request_method="GET", permission=P.VIEW)
@api_view(context=AgentFolder, name="appointments", request_method="GET", permission=P.VIEW)
@api_view(context=CampaignAppointments, request_method="GET", permission=P.VIEW)
def appointments_list_api(context, request):
    params, page = query_page(context, request)
    return page_json(page, client_folder_of(context).client.timezone, page_links(request, page))


@view_config(context=AppointmentContainer, permission=P.VIEW, renderer="callcenter.folders:templates/appointments.jinja2")
@view_config(context=ZoneFolder, name="appointments", permission=P.VIEW,
             renderer="callcenter.folders:templates/appointments.jinja2")
@view_config(context=AgentFolder, name="appointments", permission=P.VIEW,
             renderer="callcenter.folders:templates/appointments.jinja2")
def appointments_list_page(context, request):
    folder = folder_of_list(context)
    params, page = query_page(context, request)
    client = client_folder_of(folder).client
    return {"folder": folder, "client": client, "page": page, "params": params,
            "links": page_links(request, page), "choices": filter_choices(request, folder, client)}


def page_links(request, page):
    """The first, previous and next pages of a list (None: no such page): this path and query, filters and
    per_page kept, with the cursor of the position the page starts after (or ends before)."""
    kept = [(key, value) for key, value in request.GET.items() if key not in ("page", "after", "before")]

    def link(*cursor):
        query = kept + [(name, encode_cursor(position)) for name, position in cursor]
        return request.path + ("?" + urlencode(query) if query else "")

    return {
        "first": link() if page.previous_position is not None or page.page != 1 else None,
        "previous": link(("before", page.previous_position)) if page.previous_position is not None else None,
        "next": link(("after", page.next_position)) if page.next_position is not None else None,
    }


def filter_choices(request, folder, client):
    """The agents, zones and campaigns a folder's list can be narrowed to (none where the folder is one)."""
    dbsession = request.dbsession
    if isinstance(folder, AgentFolder):
        agents, zones = [], folder.agent.zones
    elif isinstance(folder, ZoneFolder):
        agents, zones = folder.zone.agents, []
    else:
        agents = dbsession.execute(select(Agent).where(Agent.client_id == client.id).order_by(Agent.name)).scalars()
        zones = dbsession.execute(select(Zone).where(Zone.client_id == client.id).order_by(Zone.name)).scalars()
    campaigns = dbsession.execute(
        select(Campaign).where(Campaign.client_id == client.id).order_by(Campaign.name)
    ).scalars()
    return {"agent": [(agent.slug, agent.name) for agent in agents],
            "zone": [(zone.slug, zone.name) for zone in zones],
            "campaign": [(campaign.slug, campaign.name) for campaign in campaigns]}


@api_view(context=AppointmentResource, request_method="GET", permission=P.VIEW)
def appointment_get(context, request):
    return appointment_json(context.appointment)


def home_for_client_user(request, user):
    client = request.dbsession.get(Client, user.client_id)
    return request.resource_url(request.root, "clients", client.slug)


def home_for_zone_manager(request, user):
    zone = user.zones[0]
    return request.resource_url(request.root, "clients", client_slug(request, zone.client_id), "zones", zone.slug)


def home_for_agent(request, user):
    agent = request.dbsession.get(Agent, user.agent_id)
    return request.resource_url(request.root, "clients", client_slug(request, agent.client_id), "agents", agent.slug)


def client_slug(request, client_id):
    return request.dbsession.get(Client, client_id).slug


def includeme(config):
    config.add_home_resolver("client", home_for_client_user)
    config.add_home_resolver("zone_manager", home_for_zone_manager)
    config.add_home_resolver("agent", home_for_agent)
    config.scan(__name__)
