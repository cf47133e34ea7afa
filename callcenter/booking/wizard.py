"""The operator's booking wizard (spec §6): the prospect's area → the week's free slots → hold a slot
→ the prospect's data → booked. Every rule is the booking service's; these views only walk the steps."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import colander
from babel.dates import format_date, format_time
from pyramid.httpexceptions import HTTPForbidden, HTTPFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agents.availability import iso_week, public_holidays, week_days
from agents.models import Agent, Zone
from agents.services import agent_by_slug
from callcenter.booking import services as booking
from callcenter.booking import schemas
from callcenter.booking.holds import release_hold
from callcenter.booking.resources import HoldResource
from callcenter.appointments.forms import parse_local, validate_form
from callcenter.appointments.rules import local_to_utc
from campaigns.resources import CampaignFolder
from campaigns.services import campaign_counts
from portal import permissions as P
from portal.api.plumbing import deserialize
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error
from portal.i18n import _

AREA_KEYS = ("postal_code", "province", "zone")
# A booking for a recovery carries the cancelled appointment's number through every step (rule 11).
CARRIED_KEYS = AREA_KEYS + ("recovers",)
WIZARD_KEYS = CARRIED_KEYS + ("week",)
HOLD_ENDED = _("hold_ended", default="This hold has ended: the slot was booked or released.")


# --- Steps 1 and 2: the prospect's area, then the week grid of the zone's agents -------------------


@view_config(context=CampaignFolder, name="book", request_method="GET", permission=P.BOOK,
             renderer="callcenter.booking:templates/book.jinja2")
def booking_wizard(context, request):
    """Step 1 without an area; step 2 (the week grid) once the prospect's area routes to a zone."""
    raw = picked(request.GET, WIZARD_KEYS)
    try:
        params = deserialize(schemas.WizardQuery(), raw)
        if not area_of(params):
            return area_step(context, request, raw)
        return week_step(context, request, params)
    except RuleViolation as violation:
        request.response.status_int = violation.status
        return area_step(context, request, raw, violation)


@view_config(context=CampaignFolder, name="book", request_method="POST", permission=P.BOOK,
             renderer="callcenter.booking:templates/book.jinja2")
def hold_from_grid(context, request):
    """A slot button: hold it for this operator (rule 10), then fill in the prospect."""
    raw = picked(request.POST, WIZARD_KEYS + ("agent", "start"))
    campaign = context.campaign
    savepoint = request.dbsession.begin_nested()
    try:
        data = deserialize(schemas.HoldForm(), raw)
        agent = agent_by_slug(request.dbsession, campaign.client, data["agent"])
        zone = booking.zone_for_prospect(request.dbsession, campaign.client, data["postal_code"], data["province"],
                                         data["zone"]) if area_of(data) else None
        hold = booking.hold_slot(request.dbsession, campaign=campaign, agent=agent, start=data["start"],
                                 operator=request.user, now=request.now, zone=zone, recovers=data["recovers"])
    except RuleViolation as violation:
        savepoint.rollback()
        request.tm.doom()  # nothing of a refused hold is written
        request.response.status_int = violation.status
        return week_after_refusal(context, request, raw, violation)
    savepoint.commit()
    return HTTPFound(request.resource_url(context, "holds", str(hold.id), query=carried_of(data)))


def week_after_refusal(context, request, raw, violation):
    """The grid again, as it is now, with the refusal on top; the area form if the area itself is wrong."""
    try:
        params = deserialize(schemas.WizardQuery(), picked(raw, WIZARD_KEYS))
        if not area_of(params):
            return area_step(context, request, raw, violation)
        if params["week"] is None:  # the week of the slot asked for, when it is a time at all
            try:
                start = schemas.HoldForm()["start"].deserialize(raw.get("start", colander.null))
            except colander.Invalid:
                start = None
            if start:
                params["week"] = iso_week(start.astimezone(ZoneInfo(context.campaign.client.timezone)).date())
        return week_step(context, request, params, violation)
    except RuleViolation as other:
        return area_step(context, request, raw, other)


def area_step(context, request, raw, violation=None):
    campaign = context.campaign
    zones = request.dbsession.execute(
        select(Zone).where(Zone.client_id == campaign.client_id).order_by(Zone.name)
    ).scalars().all()
    field = violation.field if violation is not None and violation.field in AREA_KEYS else None
    return {
        "step": 1,
        "campaign": campaign,
        "counts": campaign_counts(campaign),
        "zones": zones,
        "values": raw,
        "error": message_of(request, violation),
        "error_field": field,
        "out_of_schedule_url": out_of_schedule_url(context, request),
    }


def week_step(context, request, params, violation=None):
    campaign = context.campaign
    client = campaign.client
    tz = ZoneInfo(client.timezone)
    today = request.now.astimezone(tz).date()
    zone = booking.zone_for_prospect(request.dbsession, client, params["postal_code"], params["province"],
                                     params["zone"])
    week = params["week"] or iso_week((request.now + timedelta(hours=campaign.cutoff_hours)).astimezone(tz).date())
    days = week_days(week)
    slots = booking.week_slots(request.dbsession, campaign, zone, week, now=request.now,
                               operator_id=request.user.id)
    area = carried_of(params)
    locale = request.locale_name
    holidays = {day for day in days if client.country and day in public_holidays(client.country, day.year)}
    agents = []
    for agent, agent_slots in slots.items():
        by_day = {day: [] for day in days}
        for slot in agent_slots:
            local = slot.start.astimezone(tz)
            by_day[local.date()].append({
                "time": format_time(local, "HH:mm", locale=locale),
                "value": local.isoformat(),
                "held_until": format_time(slot.held_until.astimezone(tz), "HH:mm", locale=locale)
                if slot.held_until else None,
                "hold_url": request.resource_url(context, "holds", str(slot.hold_id), query=area)
                if slot.hold_id else None,
            })
        agents.append({"agent": agent, "days": [by_day[day] for day in days],
                       "free": sum(1 for slot in agent_slots if slot.held_until is None)})
    previous_week, next_week = iso_week(days[0] - timedelta(days=7)), iso_week(days[0] + timedelta(days=7))
    return {
        "step": 2,
        "campaign": campaign,
        "counts": campaign_counts(campaign),
        "zone": zone,
        "area": area,
        "week": week,
        "week_number": int(week.split("-W")[1]),
        "days": [{"date": day, "weekday": format_date(day, "EEE", locale=locale).capitalize(),
                  "label": format_date(day, "d MMM", locale=locale), "holiday": day in holidays,
                  "past": day < today} for day in days],
        "first_day": format_date(days[0], "d MMM", locale=locale),
        "last_day": format_date(days[-1], "d MMM y", locale=locale),
        "agents": agents,
        "previous_url": request.resource_url(context, "book", query=dict(area, week=previous_week))
        if days[-1] - timedelta(days=7) >= today else None,
        "next_url": request.resource_url(context, "book", query=dict(area, week=next_week)),
        "change_url": request.resource_url(context, "book"),
        "error": message_of(request, violation),
        "out_of_schedule_url": out_of_schedule_url(context, request, area),
    }


# --- Step 3: the prospect, while the slot is held; booking consumes the hold -----------------------


@view_config(context=HoldResource, permission=P.RELEASE, renderer="callcenter.booking:templates/hold.jinja2")
def prospect_step(context, request):
    """The prospect form of the operator's own hold; a refusal re-renders it, nothing written."""
    hold = context.hold
    campaign_folder = context.__parent__.__parent__
    campaign = campaign_folder.campaign
    area = carried_of(picked(request.GET, CARRIED_KEYS))
    form = make_form(request, schemas.booking_form(schemas.BookingForm(), campaign), buttons=(_("Book"),))
    violation = None
    if request.method == "POST":
        if not request.has_permission(P.BOOK, campaign_folder):
            raise HTTPForbidden()
        appstruct = validate_form(form, request)
        if appstruct is not None:
            savepoint = request.dbsession.begin_nested()
            try:
                appointment = booking.book_appointment(
                    request.dbsession,
                    campaign=campaign,
                    agent=hold.agent,
                    start=hold.start_at,
                    prospect=prospect_of(appstruct),
                    notes=appstruct["notes"],
                    fields=schemas.campaign_values(campaign, appstruct),
                    booked_by=request.user,
                    now=request.now,
                    hold_id=hold.id,
                    recovers=appstruct["recovers"],
                )
            except RuleViolation as refused:
                # Undo the quota place already taken, so the re-rendered counts are true; doom: nothing is written.
                savepoint.rollback()
                request.tm.doom()
                violation = refused
                set_field_error(form, form_field(refused.field), message_of(request, refused))
            else:
                savepoint.commit()
                return booked(request, campaign_folder, appointment)
        request.response.status_int = violation.status if violation is not None else 400
        rendered = form.render()
    else:
        prefill = prefill_of(area)
        if area.get("recovers"):
            prefill["recovers"] = area["recovers"]
        rendered = form.render(prefill)
    tz = ZoneInfo(campaign.client.timezone)
    active = hold.active_at(request.now)
    return {
        "campaign": campaign,
        "counts": campaign_counts(campaign),
        "hold": hold,
        "agent": hold.agent,
        "tz": campaign.client.timezone,
        "active": active,
        "expires": hold.expires_at.astimezone(tz),
        "refused": violation.code if violation is not None else None,
        "expired_message": None if active else request.localizer.translate(HOLD_ENDED) if hold.ended_at is not None
        else message_of(request, RuleViolation("hold_expired")),
        "form": rendered,
        "area": area,
        "week_url": request.resource_url(
            campaign_folder, "book", query=dict(area, week=iso_week(hold.start_at.astimezone(tz).date()))
        ) if area else request.resource_url(campaign_folder, "book"),
        "hold_again": {"agent": hold.agent.slug, "start": hold.start_at.astimezone(tz).isoformat(), **area},
        "book_url": request.resource_url(campaign_folder, "book"),
        "release_url": request.resource_url(context, "release", query=area),
    }


@view_config(context=HoldResource, name="release", request_method="POST", permission=P.RELEASE)
def release_step(context, request):
    """Let the slot go before the hold runs out; back to the week it was in."""
    hold = context.hold
    campaign_folder = context.__parent__.__parent__
    release_hold(hold, now=request.now)
    request.session.flash(request.localizer.translate(_("hold_released", default="The slot is free again.")),
                          "success")
    area = carried_of(picked(request.GET, CARRIED_KEYS))
    tz = ZoneInfo(campaign_folder.campaign.client.timezone)
    query = dict(area, week=iso_week(hold.start_at.astimezone(tz).date())) if area else None
    return HTTPFound(request.resource_url(campaign_folder, "book", query=query))


# --- Rule 9's exception: booking outside the schedule, for who is allowed ---------------------------


@view_config(context=CampaignFolder, name="book-out-of-schedule", permission=P.BOOK_OUT_OF_SCHEDULE,
             renderer="callcenter.booking:templates/book_out_of_schedule.jinja2")
def out_of_schedule_page(context, request):
    """An agent and a wall-clock time typed by hand; recorded as out of schedule."""
    campaign = context.campaign
    agents = request.dbsession.execute(
        select(Agent)
        .where(Agent.client_id == campaign.client_id, Agent.active.is_(True))
        .options(selectinload(Agent.zones))
        .order_by(Agent.name)
    ).scalars().all()
    form = make_form(request, schemas.booking_form(schemas.OutOfScheduleForm(), campaign), buttons=(_("Book"),),
                     agents=agents)
    area = area_of(picked(request.GET, AREA_KEYS))
    if request.method == "POST":
        appstruct = validate_form(form, request)
        status = 400
        if appstruct is not None:
            savepoint = request.dbsession.begin_nested()
            try:
                agent = next(agent for agent in agents if agent.slug == appstruct["agent"])
                appointment = booking.book_appointment(
                    request.dbsession,
                    campaign=campaign,
                    agent=agent,
                    start=local_to_utc(parse_local(appstruct["start"]), campaign.client.timezone),
                    prospect=prospect_of(appstruct),
                    notes=appstruct["notes"],
                    fields=schemas.campaign_values(campaign, appstruct),
                    booked_by=request.user,
                    now=request.now,
                    out_of_schedule=True,
                    may_book_out_of_schedule=request.has_permission(P.BOOK_OUT_OF_SCHEDULE, context),
                )
            except RuleViolation as violation:
                savepoint.rollback()
                request.tm.doom()
                status = violation.status
                set_field_error(form, form_field(violation.field), message_of(request, violation))
            else:
                savepoint.commit()
                return booked(request, context, appointment)
        request.response.status_int = status
        rendered = form.render()
    else:
        rendered = form.render(prefill_of(area))
    return {"campaign": campaign, "counts": campaign_counts(campaign), "form": rendered,
            "back_url": request.resource_url(context, "book", query=area or None)}


# --- Helpers ---------------------------------------------------------------------------------------


def picked(params, keys):
    return {key: params.get(key) for key in keys if params.get(key) not in (None, "")}


def area_of(params):
    """The prospect's area as given (postal code, province or zone)."""
    return {key: params[key] for key in AREA_KEYS if params.get(key)}


def carried_of(params):
    """The query every step carries: the area and, for a recovery, the number of the appointment it replaces."""
    return {key: params[key] for key in CARRIED_KEYS if params.get(key)}


def message_of(request, violation):
    return request.localizer.translate(violation.message) if violation is not None else None


def out_of_schedule_url(context, request, area=None):
    if request.has_permission(P.BOOK_OUT_OF_SCHEDULE, context):
        return request.resource_url(context, "book-out-of-schedule", query=area or None)
    return None


def prefill_of(area):
    """The prospect's inputs the area already answers: the postal code or the province typed in step 1."""
    return {f"prospect_{key}": area[key] for key in ("postal_code", "province") if area.get(key)}


def prospect_of(appstruct):
    return {key: appstruct[f"prospect_{key}"] for key in ("name", "phone", "postal_code", "company", "address",
                                                         "province")}


def form_field(field):
    """The form input a refusal names (``fields.window_type`` → its input); None: the top of the form."""
    if field is None:
        return None
    if field.startswith("fields."):
        return schemas.FIELD_PREFIX + field.split(".", 1)[1]
    if field.startswith("prospect."):
        return "prospect_" + field.split(".", 1)[1]
    return field


def booked(request, campaign_folder, appointment):
    # The session stores plain strings: translate now, or the flash shows the msgid.
    request.session.flash(request.localizer.translate(
        _("booked", default="Appointment no. ${number} booked.", mapping={"number": appointment.number})
    ), "success")
    client_folder = campaign_folder.__parent__.__parent__
    return HTTPFound(request.resource_url(client_folder, "appointments", str(appointment.number)))
