"""The operators' workspace (spec §6): the campaigns open for booking, and the worklists as JSON."""
from datetime import timedelta

from pyramid.view import view_config
from sqlalchemy import select

from callcenter.appointments.resources import CallCenter
from callcenter.appointments.serialize import appointment_json
from campaigns.models import Campaign
from campaigns.serialize import campaign_json
from campaigns.resources import permitted
from campaigns.services import campaigns_open_for_booking
from portal import permissions as P
from portal.api import api_view
from datetime import timezone

from sqlalchemy.orm import joinedload

from callcenter.lifecycle import jobs
from callcenter.lifecycle import services as lifecycle
from callcenter.appointments.models import Recovery
from callcenter.appointments.serialize import (call_json, recovery_json)


# --- The operators' workspace ------------------------------------------------------------------


@view_config(context=CallCenter, permission=P.BOOK, renderer="callcenter.workspace:templates/workspace.jinja2")
def workspace(context, request):
    """Campaigns open for booking; a full campaign is no longer offered (rule 7)."""
    return {"campaigns": bookable_campaigns(request)}


@api_view(context=CallCenter, request_method="GET", permission=P.BOOK)
def workspace_api(context, request):
    """The same list for a dialer: where to book now."""
    return {"items": [campaign_json(campaign) for campaign in bookable_campaigns(request)]}


def bookable_campaigns(request):
    campaigns = campaigns_open_for_booking(request.dbsession)
    bookable = {client.id for client in permitted(request, P.BOOK, {c.client for c in campaigns})}
    return [campaign for campaign in campaigns if campaign.client_id in bookable]


@api_view(context=CallCenter, name="confirmations", request_method="GET", permission=P.CONFIRMATION_CALL)
def confirmations(context, request):
    """The live list, each appointment with the progress of today's call as the page shows it."""
    appointments = callable_for(request, lifecycle.confirmation_worklist(request.dbsession, now=request.now))
    calls = todays_calls(request.dbsession, appointments, request.now)
    return {"items": [dict(worklist_item(appointment),
                           call=call_json(calls.get(appointment.id), appointment.client.timezone))
                      for appointment in appointments]}


def todays_calls(dbsession, appointments, now):
    """{appointment id: its row on today's worklist (today by its client's clock)}, in one query."""
    if not appointments:
        return {}
    utc_day = now.astimezone(timezone.utc).date()
    tz_of = {appointment.id: appointment.client.timezone for appointment in appointments}
    calls = dbsession.execute(
        select(jobs.ConfirmationCall).where(
            jobs.ConfirmationCall.appointment_id.in_(list(tz_of)),
            jobs.ConfirmationCall.work_date.between(utc_day - timedelta(days=1), utc_day + timedelta(days=1)))
    ).scalars().all()
    return {call.appointment_id: call for call in calls
            if call.work_date == jobs.local_day(now, tz_of[call.appointment_id])}


@api_view(context=CallCenter, name="rescheduling", request_method="GET", permission=P.CONFIRMATION_CALL)
def rescheduling(context, request):
    appointments = lifecycle.rescheduling_worklist(request.dbsession)
    return {"items": worklist_items(request, appointments)}


@api_view(context=CallCenter, name="recoveries", request_method="GET", permission=P.BOOK)
def recoveries(context, request):
    """Rule 11: the recoveries released to the operators, each with the number ``recovers`` takes."""
    found, campaigns = bookable_recoveries(request)
    return {"items": [recovery_json(recovery, campaigns[recovery.campaign_id]) for recovery in found]}


def bookable_recoveries(request):
    """(the released recoveries of the clients the user may book for, oldest first, {campaign id: campaign})."""
    campaigns = request.dbsession.execute(
        select(Campaign).options(joinedload(Campaign.client))
        .where(Campaign.id.in_(select(Recovery.campaign_id).where(Recovery.state.in_(("owed", "released")))))
    ).scalars().all()
    bookable = {client.id for client in permitted(request, P.BOOK, {campaign.client for campaign in campaigns})}
    campaign_ids = [campaign.id for campaign in campaigns if campaign.client_id in bookable]
    found = lifecycle.recovery_worklist(request.dbsession, campaign_ids) if campaign_ids else []
    return found, {campaign.id: campaign for campaign in campaigns}


def worklist_items(request, appointments):
    return [worklist_item(appointment) for appointment in callable_for(request, appointments)]


def callable_for(request, appointments):
    """Only the clients whose folder lets the user make the calls: an account manager's portfolio."""
    allowed = {client.id for client in permitted(request, P.CONFIRMATION_CALL, {a.client for a in appointments})}
    return [appointment for appointment in appointments if appointment.client_id in allowed]


def worklist_item(appointment):
    return dict(appointment_json(appointment), client=appointment.client.slug)


def includeme(config):
    config.add_home_resolver("operator", lambda request, user: request.resource_url(request.root, "callcenter"))
    config.scan(__name__)
