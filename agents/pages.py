"""Schedule pages (browser): an agent's weekly schedule and dated openings/closures, a client's closed days.

The agent's folder shows them to whoever may view it; editing needs ``manage`` (account managers, admins).
"""
from functools import cache
from zoneinfo import ZoneInfo

import colander
from babel.dates import format_date, get_day_names
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import bindparam, cast, literal, null, or_, select, union_all
from sqlalchemy.types import Date, Integer, String, Time

from agents import schemas, services
from agents.models import Agent, ClosedDay, ScheduleException, ScheduleInterval, Zone
from agents.resources import AgentFolder
from campaigns.resources import ClientFolder, client_of
from portal import permissions as P
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error, validate
from portal.i18n import _
from portal.resources import as_number

WEEKDAYS = range(7)
MAX_ROWS = 8  # intervals a weekday may have in the form


def today_of(request, client):
    return request.now.astimezone(ZoneInfo(client.timezone)).date()


def hhmm(value):
    return value.strftime("%H:%M") if value is not None else ""


def weekday_names(request):
    return list(wide_weekday_names(request.locale_name))


@cache
def wide_weekday_names(locale):
    names = get_day_names("wide", locale=locale)
    return tuple(names[weekday].capitalize() for weekday in WEEKDAYS)


def upcoming_exceptions(dbsession, agent, today):
    return dbsession.execute(
        select(ScheduleException)
        .where(ScheduleException.agent_id == agent.id, ScheduleException.day >= today)
        .order_by(ScheduleException.day, ScheduleException.start_time)
        .limit(100)
    ).scalars().all()


SCHEDULE_ROWS = 100  # dated openings, closures and closed days the agent's folder lists ahead


@cache
def schedule_statement():
    """The agent folder's schedule panel in one query, built once per process: the weekly intervals
    (kind 0), the dated exceptions ahead (1) and the closed days ahead that concern the agent (2)."""
    intervals, exceptions, closed = (ScheduleInterval.__table__.c, ScheduleException.__table__.c,
                                     ClosedDay.__table__.c)
    agent_id, today = bindparam("agent_id"), bindparam("today", type_=Date)
    no_day, no_time, no_kind = cast(null(), Date), cast(null(), Time), cast(null(), String)
    week = select(literal(0).label("part"), intervals.weekday, no_day.label("day"), intervals.start_time,
                  intervals.end_time, no_kind.label("kind"), literal("").label("reason"), intervals.id
                  ).where(intervals.agent_id == agent_id)
    ahead = (select(exceptions.day, exceptions.start_time, exceptions.end_time, exceptions.kind, exceptions.reason,
                    exceptions.id).where(exceptions.agent_id == agent_id, exceptions.day >= today)
             .order_by(exceptions.day, exceptions.start_time).limit(SCHEDULE_ROWS).subquery())
    dated = select(literal(1), cast(null(), Integer), ahead.c.day, ahead.c.start_time, ahead.c.end_time, ahead.c.kind,
                   ahead.c.reason, ahead.c.id)
    days = (select(closed.day, closed.reason, closed.id)
            .where(closed.client_id == bindparam("client_id"), closed.day >= today,
                   or_(closed.agent_id == agent_id, closed.zone_id.in_(bindparam("zone_ids", expanding=True)),
                       closed.agent_id.is_(None) & closed.zone_id.is_(None)))
            .order_by(closed.day).limit(SCHEDULE_ROWS).subquery())
    closed_days = select(literal(2), cast(null(), Integer), days.c.day, no_time, no_time, no_kind, days.c.reason,
                         days.c.id)
    every = union_all(week, dated, closed_days).subquery()
    return select(every).order_by(every.c.part, every.c.weekday, every.c.day, every.c.start_time, every.c.id)


def schedule_overview(request, agent, client):
    """What the agent's folder shows: the week, then the dated openings, closures and closed days ahead."""
    rows = request.dbsession.execute(schedule_statement(), {
        "agent_id": agent.id, "client_id": client.id, "today": today_of(request, client),
        "zone_ids": [zone.id for zone in agent.zones]}).all()
    names = weekday_names(request)
    week = {weekday: [] for weekday in WEEKDAYS}
    exceptions, closed_days = [], []
    for part, weekday, day, start_time, end_time, kind, reason, row_id in rows:
        if part == 0:
            week[weekday].append(f"{hhmm(start_time)}–{hhmm(end_time)}")
        elif part == 1:
            exceptions.append(exception_row(request, ScheduleException(
                id=row_id, day=day, kind=kind, start_time=start_time, end_time=end_time, reason=reason)))
        else:
            closed_days.append({"day": format_date(day, "EEE d MMM y", locale=request.locale_name), "reason": reason})
    return {
        "week": [{"name": names[weekday], "intervals": week[weekday]} for weekday in WEEKDAYS],
        "exceptions": exceptions,
        "closed_days": closed_days,
    }


def exception_row(request, exception):
    times = f"{hhmm(exception.start_time)}–{hhmm(exception.end_time)}" if exception.start_time else None
    return {"id": exception.id, "day": format_date(exception.day, "EEE d MMM y", locale=request.locale_name),
            "kind": exception.kind, "times": times, "reason": exception.reason}


# --- The weekly schedule ---------------------------------------------------------------------------


@view_config(context=AgentFolder, name="edit-schedule", permission=P.MANAGE,
             renderer="agents:templates/schedule_edit.jinja2")
def schedule_edit_page(context, request):
    """Intervals per weekday; saving replaces the whole week (the dated exceptions stay)."""
    agent = context.agent
    errors = {}
    top_error = None
    if request.method == "POST":
        rows, errors = read_schedule_rows(request)
        if not errors:
            intervals = [{"weekday": weekday, "start": start, "end": end}
                         for weekday, values in rows.items() for start, end in values]
            try:
                services.replace_schedule(agent, intervals)
                request.dbsession.flush()
            except RuleViolation as violation:
                request.tm.doom()
                top_error = request.localizer.translate(violation.message)
            else:
                request.session.flash(request.localizer.translate(
                    _("schedule_saved", default="Weekly schedule saved.")), "success")
                return HTTPFound(request.resource_url(context))
        request.response.status_int = 400
    days = []
    names = weekday_names(request)
    for weekday in WEEKDAYS:
        if request.method == "POST":  # as typed, each row in its place, so its error stays beside it
            pairs = [(request.POST.get(f"start-{weekday}-{index}", ""), request.POST.get(f"end-{weekday}-{index}", ""))
                     for index in range(MAX_ROWS)]
            used = max((index + 1 for index, pair in enumerate(pairs) if pair[0] or pair[1]), default=0)
        else:
            pairs = [(hhmm(i.start_time), hhmm(i.end_time)) for i in agent.schedule if i.weekday == weekday]
            used = len(pairs)
        count = min(MAX_ROWS, max(2, used + 1))
        pairs = (pairs + [("", "")] * MAX_ROWS)[:count]
        days.append({"weekday": weekday, "name": names[weekday],
                     "rows": [{"index": index, "start": start, "end": end, "error": errors.get((weekday, index))}
                              for index, (start, end) in enumerate(pairs)]})
    return {"agent": agent, "client": client_of(context), "folder": context, "days": days,
            "error": top_error or (request.localizer.translate(_("schedule_has_errors",
                                                                  default="Some intervals are not valid: see below."))
                                   if errors else None)}


def read_schedule_rows(request):
    """{weekday: [(start, end)]} from the form, and {(weekday, row): message} for the rows in error."""
    time_node = colander.SchemaNode(colander.Time())
    rows, errors = {}, {}
    for weekday in WEEKDAYS:
        rows[weekday] = []
        for index in range(MAX_ROWS):
            start = request.POST.get(f"start-{weekday}-{index}", "").strip()
            end = request.POST.get(f"end-{weekday}-{index}", "").strip()
            if not start and not end:
                continue
            if not start or not end:
                errors[(weekday, index)] = _("both_times", default="Give both times.")
                continue
            try:
                interval = {"start": time_node.deserialize(start), "end": time_node.deserialize(end)}
                services.check_intervals([interval])
            except colander.Invalid:
                errors[(weekday, index)] = _("bad_time", default="A time is written like 09:00.")
            except RuleViolation as violation:
                errors[(weekday, index)] = violation.message
            else:
                rows[weekday].append((interval["start"], interval["end"]))
    return rows, {key: request.localizer.translate(message) for key, message in errors.items()}


# --- Dated openings and closures -----------------------------------------------------------------------


@view_config(context=AgentFolder, name="add-exception", permission=P.MANAGE,
             renderer="agents:templates/exception_add.jinja2")
def exception_add_page(context, request):
    """An extra opening on a day, or a closure of a whole day or of part of it."""
    agent = context.agent
    client = client_of(context)
    form = make_form(request, schemas.ExceptionForm(), buttons=(_("Add"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            try:
                services.add_schedule_exception(request.dbsession, agent, day=appstruct["day"],
                                                kind=appstruct["kind"], start=appstruct["start"],
                                                end=appstruct["end"], reason=appstruct["reason"])
            except RuleViolation as violation:
                request.tm.doom()
                set_field_error(form, violation.field, request.localizer.translate(violation.message))
            else:
                message = (_("opening_added", default="Extra opening added.") if appstruct["kind"] == "opening"
                           else _("closure_added", default="Closure added."))
                request.session.flash(request.localizer.translate(message), "success")
                return HTTPFound(request.resource_url(context))
        request.response.status_int = 400
        rendered = form.render()
    else:
        rendered = form.render({"kind": "closure"})
    exceptions = upcoming_exceptions(request.dbsession, agent, today_of(request, client))
    return {"agent": agent, "client": client, "folder": context, "form": rendered,
            "exceptions": [exception_row(request, exception) for exception in exceptions]}


# --- The client's closed days ---------------------------------------------------------------------------


@view_config(context=ClientFolder, name="closed-days", request_method="GET", permission=P.VIEW,
             renderer="agents:templates/closed_days.jinja2")
@view_config(context=ClientFolder, name="closed-days", request_method="POST", permission=P.MANAGE,
             renderer="agents:templates/closed_days.jinja2")
def closed_days_page(context, request):
    """Closed days ahead (beyond public holidays); who may manage the client adds them here."""
    client = context.client
    zones = request.dbsession.execute(select(Zone).where(Zone.client_id == client.id).order_by(Zone.name)).scalars().all()
    every_agent = request.dbsession.execute(
        select(Agent).where(Agent.client_id == client.id).order_by(Agent.name)
    ).scalars().all()
    agents = [agent for agent in every_agent if agent.active]
    may_manage = request.has_permission(P.MANAGE, context)
    form = make_form(request, schemas.ClosedDayForm(), buttons=(_("Add"),), zones=zones, agents=agents)
    rendered = None
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            kind, _sep, slug = appstruct["scope"].partition(":")
            try:
                services.add_closed_day(
                    request.dbsession, client, day=appstruct["day"], reason=appstruct["reason"],
                    zone=next((zone for zone in zones if zone.slug == slug), None) if kind == "zone" else None,
                    agent=next((agent for agent in agents if agent.slug == slug), None) if kind == "agent" else None,
                )
            except RuleViolation as violation:
                request.tm.doom()
                set_field_error(form, violation.field, request.localizer.translate(violation.message))
            else:
                request.session.flash(request.localizer.translate(
                    _("closed_day_added", default="Closed day added.")), "success")
                return HTTPFound(request.resource_url(context, "closed-days"))
        request.response.status_int = 400
        rendered = form.render()
    elif may_manage:
        rendered = form.render()
    rows = request.dbsession.execute(
        select(ClosedDay).where(ClosedDay.client_id == client.id, ClosedDay.day >= today_of(request, client))
        .order_by(ClosedDay.day).limit(500)
    ).scalars().all()
    zone_names = {zone.id: zone.name for zone in zones}
    agent_names = {agent.id: agent.name for agent in every_agent}
    listed = [{"id": row.id, "day": format_date(row.day, "EEE d MMM y", locale=request.locale_name),
               "zone": zone_names.get(row.zone_id), "agent": agent_names.get(row.agent_id),
               "scope": "agent" if row.agent_id else "zone" if row.zone_id else "client",
               "reason": row.reason} for row in rows]
    return {"client": client, "folder": context, "form": rendered, "closed_days": listed, "may_manage": may_manage}


# --- Removing what was entered by mistake ------------------------------------------------------------


@view_config(context=AgentFolder, name="remove-exception", request_method="POST", permission=P.MANAGE)
def exception_remove(context, request):
    remove(request, lambda number: services.remove_schedule_exception(request.dbsession, context.agent, number),
           _("exception_removed", default="Opening or closure removed."))
    return HTTPFound(request.resource_url(context, "add-exception"))


@view_config(context=ClientFolder, name="remove-closed-day", request_method="POST", permission=P.MANAGE)
def closed_day_remove(context, request):
    remove(request, lambda number: services.remove_closed_day(request.dbsession, context.client, number),
           _("closed_day_removed", default="Closed day removed."))
    return HTTPFound(request.resource_url(context, "closed-days"))


def remove(request, perform, message):
    number = as_number(request.POST.get("id", ""))
    if number is None:
        raise RuleViolation("not_found")
    perform(number)
    request.session.flash(request.localizer.translate(message), "success")

