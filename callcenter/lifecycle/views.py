"""The appointment's life through the API: confirm, postpone, contact, outcome, the confirmation
call, cancellation requests, unavailabilities, worklists and history (spec §9.1)."""

from sqlalchemy import select

from agents.models import Unavailability
from agents.resources import AgentFolder, ZoneFolder
from agents.services import agent_by_slug
from callcenter.lifecycle import jobs
from callcenter.lifecycle import services as lifecycle
from callcenter.lifecycle import schemas
from callcenter.appointments.models import CancellationRequest
from callcenter.appointments.resources import AppointmentResource, CancellationRequestResource
from callcenter.appointments.serialize import (appointment_json, change_json, request_json,
                                  unavailability_json)
from callcenter.lifecycle.unavailability import declare_unavailability
from campaigns.resources import ClientFolder, client_of
from portal import permissions as P
from portal.api.plumbing import api_view, parse
from portal.errors import RuleViolation
from portal.history import recent_changes
from portal.i18n import _


@api_view(context=AppointmentResource, name="confirm", request_method="POST", permission=P.CONFIRM)
def confirm(context, request):
    parse(request, schemas.Empty())
    return appointment_json(lifecycle.confirm(request.dbsession, context.appointment, actor=request.user,
                                              now=request.now))


@api_view(context=AppointmentResource, name="postpone", request_method="POST", permission=P.CONFIRM)
def postpone(context, request):
    data = parse(request, schemas.Postpone())
    appointment = context.appointment
    agent = agent_by_slug(request.dbsession, appointment.client, data["agent"]) if data["agent"] else None
    return appointment_json(lifecycle.postpone(request.dbsession, appointment, start=data["start"], agent=agent,
                                               actor=request.user, now=request.now))


@api_view(context=AppointmentResource, name="contacted", request_method="POST", permission=P.CONTACT)
def contacted(context, request):
    parse(request, schemas.Empty())
    return appointment_json(lifecycle.mark_contacted(request.dbsession, context.appointment, actor=request.user,
                                                     now=request.now))


@api_view(context=AppointmentResource, name="outcome", request_method="POST", permission=P.OUTCOME)
def outcome(context, request):
    data = parse(request, schemas.Outcome())
    return appointment_json(lifecycle.record_outcome(request.dbsession, context.appointment, outcome=data["outcome"],
                                                     notes=data["notes"], actor=request.user, now=request.now))


@api_view(context=AppointmentResource, name="confirmation-call", request_method="POST",
          permission=P.CONFIRMATION_CALL)
def confirmation_call(context, request):
    """The result of the call the day before: confirmed, postponed (new time), disowned, or not reached
    (rule 3); recorded with its notes on today's worklist row."""
    data = parse(request, schemas.ConfirmationCall())
    appointment, actor, now = context.appointment, request.user, request.now
    if data["result"] == "confirmed":
        lifecycle.confirm(request.dbsession, appointment, actor=actor, now=now)
    elif data["result"] == "postponed":
        lifecycle.postpone(request.dbsession, appointment, start=data["start"], actor=actor, now=now)
    elif data["result"] == "disowned":
        lifecycle.disown(request.dbsession, appointment, actor=actor, now=now, notes=data["notes"])
    jobs.record_call(request.dbsession, appointment, result=data["result"], notes=data["notes"], actor=actor,
                     now=now)
    return appointment_json(appointment)


@api_view(context=AppointmentResource, name="history", request_method="GET", permission=P.VIEW)
def history(context, request):
    changes = recent_changes(request.dbsession, {"appointment_id": context.appointment.id}, limit=500)
    return {"items": [change_json(change, context.appointment.client.timezone) for change in changes]}


# --- Cancellation requests (rule 5) ------------------------------------------------------------


@api_view(context=CancellationRequestResource, request_method="POST", permission=P.REQUEST_CANCELLATION)
def cancellation_request_create(context, request):
    data = parse(request, schemas.CancellationRequestCreate())
    created = lifecycle.request_cancellation(request.dbsession, context.appointment, reason=data["reason"],
                                             notes=data["notes"], actor=request.user, now=request.now)
    request.response.status_int = 201
    return request_json(created, context.appointment)


@api_view(context=CancellationRequestResource, request_method="GET", permission=P.VIEW)
def cancellation_request_get(context, request):
    return request_json(latest_request(request, context.appointment), context.appointment)


@api_view(context=CancellationRequestResource, name="approve", request_method="POST",
          permission=P.DECIDE_CANCELLATION)
def cancellation_approve(context, request):
    return decide(context, request, approve=True)


@api_view(context=CancellationRequestResource, name="reject", request_method="POST",
          permission=P.DECIDE_CANCELLATION)
def cancellation_reject(context, request):
    return decide(context, request, approve=False)


def decide(context, request, approve):
    data = parse(request, schemas.Decision())
    pending = lifecycle.pending_request(request.dbsession, context.appointment)
    if pending is None:
        raise RuleViolation("conflict", _("no_pending_request", default="There is no pending cancellation request."))
    lifecycle.decide_cancellation(request.dbsession, pending, context.appointment, approve=approve,
                                  notes=data["notes"], actor=request.user, now=request.now)
    return request_json(pending, context.appointment)


def latest_request(request, appointment):
    found = request.dbsession.execute(
        select(CancellationRequest).where(CancellationRequest.appointment_id == appointment.id)
        .order_by(CancellationRequest.requested_at.desc(), CancellationRequest.id.desc()).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise RuleViolation("not_found")
    return found


# --- Unavailabilities (rule 6) -----------------------------------------------------------------


@api_view(context=ClientFolder, name="unavailabilities", request_method="POST", permission=P.DECLARE_UNAVAILABILITY)
@api_view(context=ZoneFolder, name="unavailabilities", request_method="POST", permission=P.DECLARE_UNAVAILABILITY)
@api_view(context=AgentFolder, name="unavailabilities", request_method="POST", permission=P.DECLARE_UNAVAILABILITY)
def unavailability_create(context, request):
    data = parse(request, schemas.UnavailabilityCreate())
    client = client_of(context)
    created = declare_unavailability(
        request.dbsession, client, start=data["start"], end=data["end"], reason=data["reason"],
        actor=request.user, now=request.now,
        agent=getattr(context, "agent", None), zone=getattr(context, "zone", None),
        override_reason=data["override"], may_override=request.has_permission(P.OVERRIDE_NOTICE, context),
    )
    request.response.status_int = 201
    return unavailability_json(created, client.timezone)


@api_view(context=ClientFolder, name="unavailabilities", request_method="GET", permission=P.VIEW)
@api_view(context=ZoneFolder, name="unavailabilities", request_method="GET", permission=P.VIEW)
@api_view(context=AgentFolder, name="unavailabilities", request_method="GET", permission=P.VIEW)
def unavailability_list(context, request):
    client = client_of(context)
    query = select(Unavailability).where(Unavailability.client_id == client.id,
                                         Unavailability.end_at > request.now)
    if isinstance(context, AgentFolder):
        query = query.where(Unavailability.agent_id == context.agent.id)
    elif isinstance(context, ZoneFolder):
        query = query.where(Unavailability.zone_id == context.zone.id)
    rows = request.dbsession.execute(query.order_by(Unavailability.start_at)).scalars().all()
    return {"items": [unavailability_json(row, client.timezone) for row in rows]}


# --- Recent changes and the operators' worklists -----------------------------------------------


@api_view(context=ClientFolder, name="changes", request_method="GET", permission=P.VIEW)
@api_view(context=ZoneFolder, name="changes", request_method="GET", permission=P.VIEW)
@api_view(context=AgentFolder, name="changes", request_method="GET", permission=P.VIEW)
def folder_changes(context, request):
    client = client_of(context)
    # A folder's changes are those of its appointments' column of the history (spec §4).
    changes = recent_changes(request.dbsession, context.appointment_scope, limit=50)
    return {"items": [change_json(change, client.timezone) for change in changes]}



def includeme(config):
    config.scan(__name__)
