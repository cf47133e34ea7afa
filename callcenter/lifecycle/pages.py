"""The appointment page in the browser (spec §4, §5 rules 2-6 and 11, §6): its actions and its history.

Every action is a small POST form calling the same service as the API. A refusal re-renders the page
with the message next to the field and writes nothing; a success flashes and redirects back.
"""
import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from agents.models import Agent, agent_zones
from callcenter.appointments.forms import (
    action_form,
    attempt,
    flash,
    local_moment,
    message_of,
    refused,
    validate_form,
)
from callcenter.appointments.history import history_of
from callcenter.appointments.labels import (
    OUTCOME_LABELS,
    REASON_LABELS,
    RECOVERY_STATES,
    STATE_LABELS,
)
from callcenter.appointments.models import ACTIVE_STATES, CancellationRequest, Recovery
from callcenter.appointments.resources import (
    AppointmentResource,
    CancellationRequestResource,
)
from callcenter.appointments.rules import CANCELLATION_REASONS, cancellation_deadline
from callcenter.appointments.states import contacted_before_meeting
from callcenter.lifecycle import jobs
from callcenter.lifecycle import services as lifecycle
from callcenter.lifecycle.forms import (
    HOME,
    PENDING_REQUESTS,
    WORKLISTS,
    CancellationRequestForm,
    ConfirmationCallForm,
    DecisionForm,
    OutcomeForm,
    PostponeForm,
)
from portal import permissions as P
from portal.errors import RuleViolation
from portal.i18n import _
from portal.layout import local_datetime

HISTORY_LIMIT = 500


def zone_agents(request, appointment):
    """The agents a meeting may move to: the active agents of its zone (the current one first)."""
    agents = []
    if appointment.zone_id is not None:
        agents = request.dbsession.execute(
            select(Agent).join(agent_zones, agent_zones.c.agent_id == Agent.id)
            .where(agent_zones.c.zone_id == appointment.zone_id, Agent.active.is_(True)).order_by(Agent.name)
        ).scalars().all()
    return [appointment.agent] + [agent for agent in agents if agent.id != appointment.agent_id]


def allowed_reasons(appointment):
    """The reasons worth offering: never "not looked at the portal"; "prospect disowns" not after contact."""
    return [reason for reason in CANCELLATION_REASONS if reason != "not_looked_at_portal"
            and not (reason == "prospect_disowns" and contacted_before_meeting(appointment.contacted_at,
                                                                             appointment.start_at))]


def latest_request(request, appointment):
    return request.dbsession.execute(
        select(CancellationRequest)
        .options(joinedload(CancellationRequest.requested_by), joinedload(CancellationRequest.decided_by))
        .where(CancellationRequest.appointment_id == appointment.id)
        .order_by(CancellationRequest.requested_at.desc(), CancellationRequest.id.desc()).limit(1)
    ).scalar_one_or_none()


class AppointmentPage:
    """What the appointment page shows, and the forms of the actions the user may take now."""

    def __init__(self, context, request):
        self.context, self.request = context, request
        self.appointment = appointment = context.appointment
        self.tz = appointment.client.timezone
        self.now = request.now
        self.counter = itertools.count()
        self.pending = lifecycle.pending_request(request.dbsession, appointment)
        self.deadline = cancellation_deadline(appointment.start_at, self.tz)
        active, started = appointment.state in ACTIVE_STATES, appointment.start_at <= self.now
        may = lambda permission, where=context: request.has_permission(permission, where)
        self.offered = {
            "confirm": active and appointment.state == "to_confirm" and may(P.CONFIRM),
            "postpone": active and may(P.CONFIRM),
            "contacted": active and appointment.contacted_at is None and not started and may(P.CONTACT),
            "outcome": active and started and may(P.OUTCOME),
            "call": appointment.state == "to_confirm" and not started and may(P.CONFIRMATION_CALL),
            "request": active and self.pending is None and may(P.REQUEST_CANCELLATION, self.request_resource),
            "decide": self.pending is not None and may(P.DECIDE_CANCELLATION, self.request_resource),
        }
        self.forms = {}

    @property
    def request_resource(self):
        return CancellationRequestResource(self.request, "cancellation-request", self.context)

    def url(self, *names):
        return self.request.resource_url(self.context, *names)

    def form(self, key):
        """The form of action ``key`` (built once, so a failed one keeps its values and errors)."""
        if key in self.forms:
            return self.forms[key]
        request, appointment = self.request, self.appointment
        primary = "btn-primary"
        if key == "postpone":
            form = action_form(request, PostponeForm(), "postpone-form", self.url("postpone"),
                               [("postpone", _("Move the appointment"), primary)], self.counter,
                               agents=zone_agents(request, appointment))
        elif key == "outcome":
            form = action_form(request, OutcomeForm(), "outcome-form", self.url("outcome"),
                               [("record", _("Record the outcome"), primary)], self.counter)
        elif key == "call":
            form = action_form(request, ConfirmationCallForm(), "call-form", self.url("confirmation-call"),
                               [("record", _("Record the call"), primary)], self.counter)
        elif key == "request":
            form = action_form(request, CancellationRequestForm(), "request-form",
                               self.request.resource_url(self.request_resource),
                               [("request", _("Ask to cancel"), "btn-outline-danger")], self.counter,
                               reasons=allowed_reasons(appointment))
        elif key == "decide":
            form = action_form(request, DecisionForm(), "decide-form", self.request.resource_url(self.request_resource,
                                                                                                 "decide"),
                               [("approve", _("Approve the cancellation"), "btn-danger"),
                                ("reject", _("Reject the request"), "btn-outline-secondary")], self.counter)
        else:
            raise KeyError(key)
        self.forms[key] = form
        return form

    def defaults(self, key):
        appointment = self.appointment
        if key == "postpone":
            start = appointment.start_at.astimezone(ZoneInfo(self.tz))
            return {"agent": appointment.agent.slug, "start": start.strftime("%Y-%m-%dT%H:%M")}
        if key == "outcome":
            return {"outcome": appointment.outcome or "held", "notes": appointment.outcome_notes or ""}
        return {}

    def render(self, failed=None):
        """The page's template values; ``failed`` names the form that keeps the user's input and errors."""
        request, appointment = self.request, self.appointment
        rendered = {}
        for key in ("postpone", "outcome", "call", "request", "decide"):
            if self.offered[key] or key == failed:
                form = self.form(key)
                rendered[key] = form.render() if key == failed else form.render(self.defaults(key))
        recovery = request.dbsession.execute(
            select(Recovery).options(joinedload(Recovery.replacement))
            .where(Recovery.cancelled_appointment_id == appointment.id)
        ).scalar_one_or_none()
        recovers = request.dbsession.execute(
            select(Recovery).options(joinedload(Recovery.cancelled_appointment))
            .where(Recovery.replacement_appointment_id == appointment.id)
        ).scalar_one_or_none()
        translate = request.localizer.translate
        cancellation = latest_request(request, appointment)
        folder = self.context.__parent__.__parent__
        return {
            "appointment": appointment,
            "client": appointment.client,
            "client_url": request.resource_url(folder) if request.has_permission(P.VIEW, folder) else None,
            "offered": self.offered,
            "forms": rendered,
            "failed": failed,
            "confirm_url": self.url("confirm"),
            "contacted_url": self.url("contacted"),
            "cancellation": cancellation,
            "cancellation_reason": translate(REASON_LABELS.get(cancellation.reason, cancellation.reason))
            if cancellation else None,
            "cancel_reason": translate(REASON_LABELS[appointment.cancel_reason])
            if appointment.cancel_reason in REASON_LABELS else appointment.cancel_reason,
            "outcome_label": translate(OUTCOME_LABELS[appointment.outcome]) if appointment.outcome else None,
            "deadline": self.deadline - timedelta(seconds=1),
            "window_open": self.now < self.deadline,
            "may_request": request.has_permission(P.REQUEST_CANCELLATION, self.request_resource),
            "disowns_excluded": contacted_before_meeting(appointment.contacted_at, appointment.start_at),
            "recovery": recovery,
            "recovery_state": translate(RECOVERY_STATES[recovery.state]) if recovery else None,
            "recovers": recovers.cancelled_appointment if recovers else None,
            "history": history_of(request, {"appointment_id": appointment.id}, appointment.client, HISTORY_LIMIT),
            "state_labels": {key: translate(label) for key, label in STATE_LABELS.items()},
        }

    def act(self, key, perform, success):
        """Validate form ``key``, run ``perform(appstruct)``; success: flash, redirect; else re-render."""
        request = self.request
        form = self.form(key)
        appstruct = validate_form(form, request)
        if appstruct is None:
            request.response.status_int = 400
            return self.render(failed=key)
        result, violation = attempt(request, lambda: perform(appstruct))
        if violation is not None:
            refused(request, form, violation)
            return self.render(failed=key)
        flash(request, success(appstruct, result) if callable(success) else success)
        return HTTPFound(self.back_url(appstruct.get("came_from")))

    def back_url(self, came_from=None):
        """Back to the worklist the action came from, else the appointment; home if it left the user's sight
        (an agent who gave the meeting to a colleague)."""
        if came_from in WORKLISTS:
            return self.request.resource_url(self.request.root, "callcenter", came_from)
        if came_from == PENDING_REQUESTS:
            return self.request.resource_url(self.request.root, "dashboard", PENDING_REQUESTS)
        if came_from == HOME:  # the agent's day on the folder home
            return self.request.resource_url(self.request.root)
        if not self.request.has_permission(P.VIEW, self.context):
            return self.request.resource_url(self.request.root)
        return self.request.resource_url(self.context)


TEMPLATE = "callcenter.lifecycle:templates/appointment.jinja2"


@view_config(context=AppointmentResource, permission=P.VIEW, request_method="GET", renderer=TEMPLATE)
def appointment_page(context, request):
    return AppointmentPage(context, request).render()


@view_config(context=AppointmentResource, name="confirm", request_method="POST", permission=P.CONFIRM,
             renderer=TEMPLATE)
def confirm_page(context, request):
    page = AppointmentPage(context, request)
    _result, violation = attempt(request, lambda: lifecycle.confirm(request.dbsession, context.appointment,
                                                                    actor=request.user, now=request.now))
    if violation is not None:
        request.response.status_int = violation.status
        return dict(page.render(), error=message_of(request, violation))
    flash(request, _("flash_confirmed", default="Appointment confirmed."))
    return HTTPFound(page.back_url(request.POST.get("came_from")))


@view_config(context=AppointmentResource, name="contacted", request_method="POST", permission=P.CONTACT,
             renderer=TEMPLATE)
def contacted_page(context, request):
    page = AppointmentPage(context, request)
    _result, violation = attempt(request, lambda: lifecycle.mark_contacted(
        request.dbsession, context.appointment, actor=request.user, now=request.now))
    if violation is not None:
        request.response.status_int = violation.status
        return dict(page.render(), error=message_of(request, violation))
    flash(request, _("flash_contacted", default="Recorded: you contacted the prospect. The appointment stays valid."))
    return HTTPFound(page.back_url())


def moved_message(request, appointment):
    when = local_datetime(appointment.start_at, appointment.client.timezone, request.locale_name)
    return _("flash_postponed", default="Appointment moved to ${when}, agent ${agent}.",
             mapping={"when": when, "agent": appointment.agent.name})


@view_config(context=AppointmentResource, name="postpone", request_method="POST", permission=P.CONFIRM,
             renderer=TEMPLATE)
def postpone_page(context, request):
    page = AppointmentPage(context, request)
    appointment = context.appointment
    agents = {agent.slug: agent for agent in zone_agents(request, appointment)}

    def perform(appstruct):
        start = local_moment(appstruct["start"], page.tz, "start")
        agent = agents[appstruct["agent"]]
        return lifecycle.postpone(request.dbsession, appointment, start=start, actor=request.user,
                                  now=request.now, agent=agent if agent.id != appointment.agent_id else None)

    return page.act("postpone", perform, lambda appstruct, result: moved_message(request, result))


@view_config(context=AppointmentResource, name="outcome", request_method="POST", permission=P.OUTCOME,
             renderer=TEMPLATE)
def outcome_page(context, request):
    page = AppointmentPage(context, request)
    return page.act("outcome", lambda appstruct: lifecycle.record_outcome(
        request.dbsession, context.appointment, outcome=appstruct["outcome"], notes=appstruct["notes"],
        actor=request.user, now=request.now), _("flash_outcome", default="Outcome recorded."))


@view_config(context=AppointmentResource, name="confirmation-call", request_method="POST",
             permission=P.CONFIRMATION_CALL, renderer=TEMPLATE)
def confirmation_call_page(context, request):
    """Rule 3: confirmed, postponed (new time) or disowned, as the prospect answered."""
    page = AppointmentPage(context, request)
    appointment, actor, now = context.appointment, request.user, request.now

    def perform(appstruct):
        result = appstruct["result"]
        if result == "confirmed":
            lifecycle.confirm(request.dbsession, appointment, actor=actor, now=now)
        elif result == "postponed":
            start = local_moment(appstruct["start"], page.tz, "start")
            lifecycle.postpone(request.dbsession, appointment, start=start, actor=actor, now=now)
        elif result == "disowned":
            lifecycle.disown(request.dbsession, appointment, actor=actor, now=now, notes=appstruct["notes"])
        return jobs.record_call(request.dbsession, appointment, result=result, notes=appstruct["notes"],
                                actor=actor, now=now)

    def success(appstruct, result):
        if appstruct["result"] == "not_reached":
            return _("flash_not_reached", default="Appointment no. ${number}: prospect not reached, attempt "
                     "${attempts}.", mapping={"number": appointment.number, "attempts": result.attempts})
        if appstruct["result"] == "confirmed":
            return _("flash_call_confirmed", default="Appointment no. ${number} confirmed by the prospect.",
                     mapping={"number": appointment.number})
        if appstruct["result"] == "postponed":
            return moved_message(request, appointment)
        if not contacted_before_meeting(appointment.contacted_at, appointment.start_at):
            return _("flash_disowned_requested", default="Appointment no. ${number} disowned by the prospect: a "
                     "cancellation request awaits an account manager's decision.",
                     mapping={"number": appointment.number})
        return _("flash_disowned_valid", default="Appointment no. ${number}: the prospect disowns it, but the "
                 "agent had contacted the prospect, so it stays valid.", mapping={"number": appointment.number})

    return page.act("call", perform, success)


@view_config(context=CancellationRequestResource, request_method="POST", permission=P.REQUEST_CANCELLATION,
             renderer=TEMPLATE)
def cancellation_request_page(context, request):
    page = AppointmentPage(context.__parent__, request)
    return page.act("request", lambda appstruct: lifecycle.request_cancellation(
        request.dbsession, context.appointment, reason=appstruct["reason"], notes=appstruct["notes"],
        actor=request.user, now=request.now),
        _("flash_requested", default="Cancellation requested: the account manager will decide."))


@view_config(context=CancellationRequestResource, name="decide", request_method="POST",
             permission=P.DECIDE_CANCELLATION, renderer=TEMPLATE)
def cancellation_decision_page(context, request):
    page = AppointmentPage(context.__parent__, request)
    approve = "approve" in request.POST

    def perform(appstruct):
        pending = lifecycle.pending_request(request.dbsession, context.appointment)
        if pending is None:
            raise RuleViolation("conflict", _("no_pending_request", default="There is no pending cancellation "
                                              "request."))
        return lifecycle.decide_cancellation(request.dbsession, pending, context.appointment, approve=approve,
                                             notes=appstruct["notes"], actor=request.user, now=request.now)

    message = (_("flash_approved", default="Cancellation approved: the place is free again and a recovery is owed.")
               if approve else _("flash_rejected", default="Cancellation request rejected."))
    return page.act("decide", perform, message)


@view_config(context=AppointmentResource, name="confirm", request_method="GET", permission=P.VIEW)
@view_config(context=AppointmentResource, name="contacted", request_method="GET", permission=P.VIEW)
@view_config(context=AppointmentResource, name="postpone", request_method="GET", permission=P.VIEW)
@view_config(context=AppointmentResource, name="outcome", request_method="GET", permission=P.VIEW)
@view_config(context=AppointmentResource, name="confirmation-call", request_method="GET", permission=P.VIEW)
@view_config(context=CancellationRequestResource, request_method="GET", permission=P.VIEW)
@view_config(context=CancellationRequestResource, name="decide", request_method="GET", permission=P.VIEW)
def back_to_the_appointment(context, request):
    """An action's address opened (a reload after a refusal): the appointment page."""
    target = context.__parent__ if isinstance(context, CancellationRequestResource) else context
    return HTTPFound(request.resource_url(target))


def includeme(config):
    config.scan(__name__)
