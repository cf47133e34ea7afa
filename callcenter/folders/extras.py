"""A folder home's panels from the appointment's life: recent changes and unavailabilities, with the form that declares one (rule 6)."""
import itertools
from datetime import timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from pyramid.csrf import get_csrf_token
from sqlalchemy import bindparam, or_, select

from agents.availability import UNAVAILABILITY_NOTICE_DAYS
from agents.models import Agent, Unavailability, Zone, agent_zones
from agents.resources import AgentFolder, ZoneFolder
from callcenter.appointments.forms import (
    action_form,
    attempt,
    local_moment,
    refused,
    validate_form,
)
from callcenter.appointments.history import Names, describe
from callcenter.appointments.resources import AppointmentContainer, AppointmentResource
from callcenter.feeds.services import SUFFIX, active_feed, scope_of
from callcenter.folders.panels import folder_changes
from callcenter.folders.services import agent_days
from callcenter.lifecycle.forms import UnavailabilityForm, override_node
from callcenter.lifecycle.unavailability import declare_unavailability
from campaigns.resources import ClientFolder, client_folder_of
from portal import permissions as P
from portal.history import Change
from portal.i18n import _

RECENT_CHANGES_LIMIT = 15


@cache
def unavailabilities_statement(kind):
    """Built once per process for a client's, a zone's or an agent's folder."""
    u, agents, zones = Unavailability.__table__.c, Agent.__table__, Zone.__table__
    query = (select(u.agent_id, u.zone_id, u.start_at, u.end_at, u.reason, agents.c.name, zones.c.name)
             .select_from(Unavailability.__table__.outerjoin(agents, agents.c.id == u.agent_id)
                          .outerjoin(zones, zones.c.id == u.zone_id))
             .where(u.client_id == bindparam("client_id"), u.end_at > bindparam("now")).order_by(u.start_at))
    whole_client = u.agent_id.is_(None) & u.zone_id.is_(None)
    if kind == "zone":
        agent_ids = select(agent_zones.c.agent_id).where(agent_zones.c.zone_id == bindparam("zone_id"))
        query = query.where(or_(whole_client, u.zone_id == bindparam("zone_id"), u.agent_id.in_(agent_ids)))
    elif kind == "agent":
        query = query.where(or_(whole_client, u.agent_id == bindparam("agent_id"),
                                u.zone_id.in_(bindparam("zone_ids", expanding=True))))
    return query


def unavailability_rows(request, folder, names):
    """Current and future unavailabilities that concern the folder: its own, and those above it; their
    agents' and zones' names go into ``names``."""
    values = {"client_id": client_folder_of(folder).client.id, "now": request.now}
    if isinstance(folder, ZoneFolder):
        kind, values["zone_id"] = "zone", folder.zone.id
    elif isinstance(folder, AgentFolder):
        kind, values["agent_id"], values["zone_ids"] = "agent", folder.agent.id, [zone.id for zone in folder.agent.zones]
    else:
        kind = "client"
    rows = request.dbsession.execute(unavailabilities_statement(kind), values).all()
    for row in rows:
        if row[5] is not None:
            names.agent_by_id[row.agent_id] = row[5]
        if row[6] is not None:
            names.zone_by_id[row.zone_id] = row[6]
    return rows


def describe_unavailabilities(request, rows, names):
    translate = request.localizer.translate
    items = []
    for row in rows:
        if row.agent_id:
            scope = translate(_("scope_agent", default="Agent ${name}", mapping={"name": names.agent_by_id.get(
                row.agent_id, "?")}))
        elif row.zone_id:
            scope = translate(_("scope_zone", default="Zone ${name}", mapping={"name": names.zone_by_id.get(
                row.zone_id, "?")}))
        else:
            scope = translate(_("scope_client", default="The whole client"))
        items.append({"start": row.start_at, "end": row.end_at, "reason": row.reason, "scope": scope,
                      "current": row.start_at <= request.now})
    return items


def unavailability_form(request, folder, counter=None, may_override=None):
    schema = UnavailabilityForm()
    if may_override if may_override is not None else request.has_permission(P.OVERRIDE_NOTICE, folder):
        schema.add(override_node())
    return action_form(request, schema, "unavailability-form", request.resource_url(folder, "unavailability"),
                       [("declare", _("Declare the unavailability"), "btn-primary")], counter or itertools.count())


BLANK_FORMS = {}  # (language, may override, action) -> the empty form's HTML, its CSRF token a placeholder
BLANK_FORMS_KEPT = 512
CSRF_PLACEHOLDER = "\x00csrf\x00"


def blank_unavailability_form(request, folder, may_override):
    """The empty form as HTML, rendered once per process for each language, action and notice
    permission: deform renders the same HTML for them every time but for the session's CSRF token,
    put in on each request (0.5 ms of CPU a folder home saves)."""
    key = (request.locale_name, may_override, request.resource_url(folder, "unavailability"))
    token = get_csrf_token(request)
    html = BLANK_FORMS.get(key)
    if html is None:
        rendered = unavailability_form(request, folder, may_override=may_override).render()
        html = rendered.replace(f'value="{token}"', f'value="{CSRF_PLACEHOLDER}"')
        if html.count(CSRF_PLACEHOLDER) != 1 or token in html:  # never keep a session's token for others
            return rendered
        if len(BLANK_FORMS) >= BLANK_FORMS_KEPT:
            BLANK_FORMS.clear()
        BLANK_FORMS[key] = html
    return html.replace(CSRF_PLACEHOLDER, token)


def earliest_unavailability_day(request, folder):
    """Rule 6: declared today, an unavailability may start on this day at the earliest (8 days' notice)."""
    tz = ZoneInfo(client_folder_of(folder).client.timezone)
    day = request.now.astimezone(tz).date() + timedelta(days=UNAVAILABILITY_NOTICE_DAYS)
    return format_date(day, "EEEE d MMMM y", locale=request.locale_name)


def agent_day(request, folder):
    """The agent folder's first section, made for a phone: today's meetings still to come, then tomorrow's,
    each with the confirm and postpone actions the user may take (spec §6, the agent on a phone)."""
    if not isinstance(folder, AgentFolder):
        return None
    client_folder = client_folder_of(folder)
    container = AppointmentContainer(request, "appointments", client_folder)
    days = []
    for day, meetings in agent_days(request.dbsession, folder.agent.id, client_folder.client.timezone, request.now):
        rows = []
        for appointment in meetings:
            resource = AppointmentResource(request, str(appointment.number), container, appointment)
            may_confirm = request.has_permission(P.CONFIRM, resource)
            rows.append({"appointment": appointment, "url": request.resource_url(resource),
                         "confirm": may_confirm and appointment.state == "to_confirm", "postpone": may_confirm})
        days.append({"day": day, "label": format_date(day, "EEEE d MMMM", locale=request.locale_name),
                     "meetings": rows})
    return days


def folder_extras(request, folder, failed_form=None):
    """The parts of a folder home that come from the appointment's life."""
    may_declare = isinstance(folder, (ClientFolder, ZoneFolder, AgentFolder)) and request.has_permission(
        P.DECLARE_UNAVAILABILITY, folder)
    may_override = request.has_permission(P.OVERRIDE_NOTICE, folder)
    form = None
    if failed_form is not None:
        form = failed_form.render()
    elif may_declare:
        form = blank_unavailability_form(request, folder, may_override)
    client = client_folder_of(folder).client
    # The folder's own column of the history (spec §4), scoped like its appointments; the names both
    # panels show in one query.
    names = Names.empty()
    changes = folder_changes(request.dbsession, folder.appointment_scope, RECENT_CHANGES_LIMIT, names)
    unavailabilities = unavailability_rows(request, folder, names) if isinstance(
        folder, (ClientFolder, ZoneFolder, AgentFolder)) else None
    return {
        "changes": [describe(request, change, client.timezone, names) for change in changes],
        "unavailabilities": describe_unavailabilities(request, unavailabilities, names)
        if unavailabilities is not None else None,
        "unavailability_form": form,
        "may_override": may_override,
        "earliest_unavailability": earliest_unavailability_day(request, folder),
        "agent_day": agent_day(request, folder),
    }


def declare_from_form(context, request):
    """Validate and declare: (form, how many appointments it flagged), or (form, None) with the errors on it."""
    form = unavailability_form(request, context)
    appstruct = validate_form(form, request)
    if appstruct is None:
        request.response.status_int = 400
        return form, None
    client = client_folder_of(context).client

    def perform():
        start = local_moment(appstruct["start"], client.timezone, "start")
        end = local_moment(appstruct["end"], client.timezone, "end")
        return declare_unavailability(
            request.dbsession, client, start=start, end=end, reason=appstruct["reason"], actor=request.user,
            now=request.now, agent=getattr(context, "agent", None), zone=getattr(context, "zone", None),
            override_reason=appstruct.get("override"),
            may_override=request.has_permission(P.OVERRIDE_NOTICE, context),
        )

    created, violation = attempt(request, perform)
    if violation is not None:
        refused(request, form, violation)
        return form, None
    return form, flagged_by(request, created)


def flagged_by(request, unavailability):
    """How many appointments the new unavailability flagged, as its history line recorded it."""
    change = request.dbsession.execute(
        select(Change).where(Change.client_id == unavailability.client_id, Change.subject == "unavailability",
                             Change.actor_id == request.user.id, Change.at == unavailability.created_at)
        .order_by(Change.id.desc()).limit(1)
    ).scalar_one_or_none()
    return (change.after or {}).get("flagged", 0) if change is not None else 0


def feed_panel(request, folder, secret=None):
    """What the folder shows about the user's feed, or None when the user may not have one here."""
    if not isinstance(folder, (AgentFolder, ZoneFolder)) or not request.has_permission(P.CALENDAR_FEED, folder):
        return None
    feed = active_feed(request.dbsession, request.user, scope_of(folder))
    url = request.resource_url(request.root, "feeds", secret + SUFFIX) if secret else None
    return {"feed": feed, "url": url}
