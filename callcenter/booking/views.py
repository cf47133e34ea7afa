"""Booking through the API: free slots, holds and the booking itself (spec §9.1, rules 7-10, 13)."""
from datetime import timedelta
from zoneinfo import ZoneInfo


from agents.availability import iso_week
from agents.services import agent_by_slug
from callcenter.booking import services as booking
from callcenter.booking import schemas
from callcenter.booking.holds import release_hold
from callcenter.appointments.resources import CampaignAppointments
from callcenter.booking.resources import HoldContainer, HoldResource
from callcenter.appointments.serialize import appointment_json, hold_json, week_json
from campaigns.resources import CampaignFolder
from portal import permissions as P
from portal.api.plumbing import api_view, deserialize, parse
from portal.errors import RuleViolation
from portal.i18n import LOCALE_COOKIE, _



# --- Booking -----------------------------------------------------------------------------------


@api_view(context=CampaignAppointments, request_method="POST", permission=P.BOOK)
def appointment_create(context, request):
    data = parse(request, schemas.BookingCreate())
    campaign = context.__parent__.campaign
    agent = agent_by_slug(request.dbsession, campaign.client, data["agent"], with_calendar=True)
    appointment = booking.book_appointment(
        request.dbsession,
        campaign=campaign,
        agent=agent,
        start=data["start"],
        prospect=data["prospect"],
        notes=data["notes"],
        fields=data["fields"],
        booked_by=request.user,
        now=request.now,
        hold_id=data["hold"],
        out_of_schedule=data["out_of_schedule"],
        may_book_out_of_schedule=request.has_permission(P.BOOK_OUT_OF_SCHEDULE, context),
        recovers=data["recovers"],
    )
    request.response.status_int = 201
    return appointment_json(appointment)


# --- Free slots and holds (rules 9, 10, 13) ----------------------------------------------------


def slot_query(context, request):
    """(week, zone) asked for; the week defaults to the first one a new booking can fall in."""
    query = {key: value for key, value in request.GET.items() if key != LOCALE_COOKIE}
    params = deserialize(schemas.SlotQuery(), query)
    campaign = context.campaign
    tz = ZoneInfo(campaign.client.timezone)
    week = params["week"] or iso_week((request.now + timedelta(hours=campaign.cutoff_hours)).astimezone(tz).date())
    if not (params["zone"] or params["postal_code"] or params["province"]):
        raise RuleViolation("validation_error", _("postal_code_required", default="Give the prospect's postal code."),
                            "postal_code")
    zone = booking.zone_for_prospect(request.dbsession, campaign.client, params["postal_code"], params["province"],
                                     params["zone"])
    return week, zone, params


@api_view(context=CampaignFolder, name="slots", request_method="GET", permission=P.BOOK)
def slots_api(context, request):
    week, zone, _params = slot_query(context, request)
    slots = booking.week_slots(request.dbsession, context.campaign, zone, week, now=request.now,
                               operator_id=request.user.id)
    return week_json(week, zone, slots, context.campaign.client.timezone)


@api_view(context=HoldContainer, request_method="POST", permission=P.BOOK)
def hold_create(context, request):
    data = parse(request, schemas.HoldCreate())
    campaign = context.__parent__.campaign
    agent = agent_by_slug(request.dbsession, campaign.client, data["agent"])
    zone = booking.zone_for_prospect(request.dbsession, campaign.client, data["postal_code"], data["province"],
                                     data["zone"]) if data["postal_code"] or data["province"] or data["zone"] else None
    hold = booking.hold_slot(request.dbsession, campaign=campaign, agent=agent, start=data["start"],
                             operator=request.user, now=request.now, zone=zone, recovers=data["recovers"])
    request.response.status_int = 201
    return hold_json(hold, campaign.client.timezone)


@api_view(context=HoldResource, request_method="DELETE", permission=P.RELEASE)
def hold_release(context, request):
    release_hold(context.hold, now=request.now)
    request.response.status_int = 204
    return request.response


def includeme(config):
    config.scan(__name__)
