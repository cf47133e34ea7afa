"""The appointment's life in the browser (spec §4, §5 rules 2-6 and 11, §6): the appointment page with
its actions and its history, the folders' recent changes and unavailabilities, the operators' worklists.

Every action is a small POST form calling the same service as the API. A refusal re-renders the page
with the message next to the field and writes nothing; a success flashes and redirects back.
"""
import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import colander
import deform
from babel.dates import format_date
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from agents.availability import UNAVAILABILITY_NOTICE_DAYS
from agents.models import Agent, Unavailability, Zone, agent_zones
from agents.resources import AgentFolder, ZoneFolder
from callcenter import jobs, lifecycle
from callcenter.models import ACTIVE_STATES, OUTCOMES, CancellationRequest, Recovery
from callcenter.resources import AppointmentContainer, AppointmentResource, CallCenter, CancellationRequestResource
from callcenter.rules import CANCELLATION_REASONS, cancellation_deadline, local_to_utc
from callcenter.lifecycle_views import bookable_recoveries
from callcenter.states import contacted_before_meeting
from callcenter.unavailability import declare_unavailability
from callcenter.wizard import parse_local, validate_form
from campaigns.models import Campaign
from campaigns.resources import ClientFolder, client_folder, client_folder_of, permitted
from portal import permissions as P
from portal.errors import RuleViolation
from portal.forms import set_field_error
from portal.history import Change, recent_changes
from portal.i18n import _
from portal.layout import local_datetime
from portal.schemas import CSRFSchema

HISTORY_LIMIT = 500
RECENT_CHANGES_LIMIT = 15
NOTES = colander.Length(max=4000)
WORKLISTS = ("confirmations", "rescheduling", "recoveries")
PENDING_REQUESTS = "cancellation-requests"  # /dashboard/cancellation-requests

STATE_LABELS = {
    "to_confirm": _("state_to_confirm", default="To confirm"),
    "confirmed": _("state_confirmed", default="Confirmed"),
    "cancelled": _("state_cancelled", default="Cancelled"),
    "draft": _("state_draft", default="Draft"),
    "pending": _("request_state_pending", default="Pending"),
    "approved": _("request_state_approved", default="Approved"),
    "rejected": _("request_state_rejected", default="Rejected"),
}
OUTCOME_LABELS = {
    "held": _("outcome_held", default="Held"),
    "no_show": _("outcome_no_show", default="Prospect absent (no-show)"),
    "excused": _("outcome_excused", default="Excused (the prospect gave notice)"),
}
REASON_LABELS = {
    "prospect_disowns": _("reason_label_prospect_disowns", default="The prospect disowns the appointment"),
    "wrong_target": _("reason_label_wrong_target", default="Wrong target (not the right person or company)"),
    "prospect_unreachable": _("reason_label_prospect_unreachable", default="The prospect cannot be reached"),
    "duplicate": _("reason_label_duplicate", default="Duplicate of another appointment"),
    "agent_unavailable": _("reason_label_agent_unavailable", default="The agent cannot go"),
    "not_looked_at_portal": _("reason_label_not_looked_at_portal", default="We had not looked at the portal"),
    "other": _("reason_label_other", default="Other (explain in the notes)"),
}
CALL_RESULTS = {
    "confirmed": _("call_confirmed", default="Confirmed by the prospect"),
    "postponed": _("call_postponed", default="Postponed to a new time"),
    "disowned": _("call_disowned", default="Disowned by the prospect"),
    "not_reached": _("call_not_reached", default="Not reached: call again later"),
}
CALL_STATES = {
    "open": _("call_state_open", default="To call"),
    "not_reached": _("call_state_not_reached", default="Not reached"),
    "done": _("call_state_done", default="Done"),
}
RECOVERY_STATES = {
    "owed": _("recovery_owed", default="Owed"),
    "released": _("recovery_released", default="Released"),
    "booked": _("recovery_booked", default="Booked"),
}
ACTIONS = {
    ("appointment", "booked"): _("change_booked", default="Appointment booked"),
    ("appointment", "imported"): _("change_imported", default="Appointment imported from the previous system"),
    ("appointment", "confirmed"): _("change_confirmed", default="Appointment confirmed"),
    ("appointment", "postponed"): _("change_postponed", default="Appointment moved"),
    ("appointment", "contacted"): _("change_contacted", default="The agent contacted the prospect"),
    ("appointment", "disowned"): _("change_disowned", default="The prospect disowned the appointment"),
    ("appointment", "outcome"): _("change_outcome", default="Outcome recorded"),
    ("appointment", "cancelled"): _("change_cancelled", default="Appointment cancelled"),
    ("cancellation_request", "requested"): _("change_cancellation_requested", default="Cancellation requested"),
    ("cancellation_request", "approved"): _("change_cancellation_approved", default="Cancellation approved"),
    ("cancellation_request", "rejected"): _("change_cancellation_rejected", default="Cancellation rejected"),
    ("unavailability", "declared"): _("change_unavailability_declared", default="Unavailability declared"),
    ("step", "step_added"): _("change_step_added", default="Step ${number} added"),
    ("step", "step_confirmed"): _("change_step_confirmed", default="Step ${number} confirmed"),
    ("step", "step_changed"): _("change_step_changed", default="Draft step ${number} changed"),
    ("step", "step_deleted"): _("change_step_deleted", default="Draft step ${number} deleted"),
    ("agent", "deactivated"): _("change_agent_deactivated", default="Agent deactivated"),
    ("agent", "reactivated"): _("change_agent_reactivated", default="Agent reactivated"),
    ("agent", "updated"): _("change_agent_updated", default="Agent's details changed"),
    ("client", "updated"): _("change_client_updated", default="Client's details changed"),
}
DETAIL_LABELS = {
    "state": _("detail_state", default="State"),
    "active": _("detail_active", default="Active"),
    "start": _("detail_start", default="Time"),
    "end": _("detail_end", default="Until"),
    "agent": _("detail_agent", default="Agent"),
    "contacted": _("detail_contacted", default="Prospect contacted"),
    "outcome": _("detail_outcome", default="Outcome"),
    "reason": _("detail_reason", default="Reason"),
    "notes": _("detail_notes", default="Notes"),
    "override": _("detail_override", default="Short notice allowed because"),
    "flagged": _("detail_flagged", default="Appointments to move"),
    "quantity": _("detail_quantity", default="Quantity"),
    "valid_from": _("detail_valid_from", default="Valid from"),
    "valid_to": _("detail_valid_to", default="Valid to"),
    "description": _("detail_description", default="Description"),
    "name": _("detail_name", default="Name"),
    "email": _("detail_email", default="E-mail"),
    "phone": _("detail_phone", default="Phone"),
    "zones": _("detail_zones", default="Zones"),
    "timezone": _("detail_timezone", default="Time zone"),
    "country": _("detail_country", default="Country"),
    "account_manager": _("detail_account_manager", default="Account manager"),
}
YES, NO = _("yes", default="Yes"), _("no", default="No")


# --- Forms ------------------------------------------------------------------------------------------


def local_time_widget():
    return deform.widget.TextInputWidget(attributes={"type": "datetime-local"})


@colander.deferred
def deferred_zone_agents_widget(node, kw):
    return deform.widget.SelectWidget(values=[(agent.slug, agent.name) for agent in kw["agents"]])


@colander.deferred
def deferred_zone_agents_validator(node, kw):
    return colander.OneOf([agent.slug for agent in kw["agents"]])


class PostponeForm(CSRFSchema):
    """Rule 2: a new time, cutoff aside, and maybe another agent of the appointment's zone."""

    start = colander.SchemaNode(colander.String(), title=_("New date and time"), widget=local_time_widget())
    agent = colander.SchemaNode(colander.String(), title=_("Agent"), widget=deferred_zone_agents_widget,
                                validator=deferred_zone_agents_validator)


class OutcomeForm(CSRFSchema):
    outcome = colander.SchemaNode(
        colander.String(), title=_("What happened"), validator=colander.OneOf(OUTCOMES),
        widget=deform.widget.RadioChoiceWidget(values=list(OUTCOME_LABELS.items())),
    )
    notes = colander.SchemaNode(colander.String(), title=_("Notes"), missing="", validator=NOTES,
                                widget=deform.widget.TextAreaWidget(rows=2))


def confirmation_call_validator(node, value):
    if value["result"] == "postponed" and not value["start"]:
        error = colander.Invalid(node)
        error["start"] = _("start_required_to_postpone", default="The new time is required to postpone.")
        raise error


class ConfirmationCallForm(CSRFSchema):
    """Rule 3: the prospect's answer on the call the day before."""

    result = colander.SchemaNode(
        colander.String(), title=_("The prospect's answer"), validator=colander.OneOf(tuple(CALL_RESULTS)),
        widget=deform.widget.RadioChoiceWidget(values=list(CALL_RESULTS.items())),
    )
    start = colander.SchemaNode(colander.String(), title=_("New date and time"), missing=None,
                                description=_("Only when the prospect asks for another time."),
                                widget=local_time_widget())
    notes = colander.SchemaNode(colander.String(), title=_("Notes of the call"), missing="", validator=NOTES,
                                widget=deform.widget.TextAreaWidget(rows=2))
    came_from = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget(), missing=None,
                                    validator=colander.OneOf(WORKLISTS))
    validator = staticmethod(confirmation_call_validator)


@colander.deferred
def deferred_reason_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", "—")] + [(reason, REASON_LABELS[reason])
                                                             for reason in kw["reasons"]])


class CancellationRequestForm(CSRFSchema):
    """Rule 5. Every listed reason is accepted here: the service says why a reason is refused."""

    reason = colander.SchemaNode(colander.String(), title=_("Reason"), widget=deferred_reason_widget,
                                 validator=colander.OneOf(CANCELLATION_REASONS))
    notes = colander.SchemaNode(colander.String(), title=_("Notes"), missing="", validator=NOTES,
                                widget=deform.widget.TextAreaWidget(rows=2))


class DecisionForm(CSRFSchema):
    notes = colander.SchemaNode(colander.String(), title=_("Notes for the client"), missing="", validator=NOTES,
                                widget=deform.widget.TextAreaWidget(rows=2))
    # Decided from the account manager's worklist of pending requests: back to it.
    came_from = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget(), missing=None,
                                    validator=colander.OneOf((PENDING_REQUESTS,)))


class UnavailabilityForm(CSRFSchema):
    """Rule 6; the override reason is added only for who may override the notice."""

    start = colander.SchemaNode(colander.String(), title=_("From"), widget=local_time_widget())
    end = colander.SchemaNode(colander.String(), title=_("Until"), widget=local_time_widget())
    reason = colander.SchemaNode(colander.String(), title=_("Reason"), missing="",
                                 validator=colander.Length(max=500))


def override_node():
    return colander.SchemaNode(
        colander.String(), name="override", title=_("Short notice: reason for the exception"), missing=None,
        validator=colander.Length(min=3, max=500),
        description=_("Only to declare it less than 8 days ahead; the reason is recorded."),
    )


def action_form(request, schema, formid, action, buttons, counter, **kw):
    """A deform form of the page; several on one page share a counter so their field ids differ."""
    buttons = [deform.Button(name, title=title, css_class=css_class) for name, title, css_class in buttons]
    return deform.Form(schema.bind(request=request, **kw), formid=formid, action=action, buttons=buttons,
                       counter=counter, focus="off")


def local_moment(text, tz, field):
    """A datetime-local input as UTC; a time the clocks skip is refused (rule §5: client time, DST-safe)."""
    try:
        return local_to_utc(parse_local(text), tz)
    except RuleViolation as violation:
        raise RuleViolation(violation.code, violation.message, field)


def message_of(request, violation):
    return request.localizer.translate(violation.message)


def flash(request, message):
    # The session stores plain strings: translate now, or the next page shows the msgid.
    request.session.flash(request.localizer.translate(message), "success")


def refused(request, form, violation):
    """Put a service's refusal on its form and answer with its status."""
    set_field_error(form, violation.field, message_of(request, violation))
    request.response.status_int = violation.status


def attempt(request, perform):
    """Run ``perform`` so that a refusal writes nothing: (result, None) or (None, violation)."""
    savepoint = request.dbsession.begin_nested()
    try:
        result = perform()
    except RuleViolation as violation:
        savepoint.rollback()
        request.tm.doom()
        return None, violation
    savepoint.commit()
    return result, None


# --- Readable history ----------------------------------------------------------------------------------


class Names:
    """Agents' and zones' names of a client, for the history's readable words (one query each)."""

    def __init__(self, dbsession, client_id):
        agents = dbsession.execute(select(Agent.id, Agent.slug, Agent.name).where(Agent.client_id == client_id)).all()
        self.agent_by_slug = {slug: name for _id, slug, name in agents}
        self.agent_by_id = {agent_id: name for agent_id, _slug, name in agents}
        self.zone_by_id = dict(dbsession.execute(select(Zone.id, Zone.name).where(Zone.client_id == client_id)).all())
        self.campaign_by_id = dict(dbsession.execute(
            select(Campaign.id, Campaign.name).where(Campaign.client_id == client_id)).all())


def readable(request, key, value, tz, names):
    translate, locale = request.localizer.translate, request.locale_name
    if value is None or value == "":
        return "—"
    if key in ("start", "end"):
        try:
            return local_datetime(datetime.fromisoformat(value), tz, locale)
        except (TypeError, ValueError):
            return str(value)
    if key == "state":
        return translate(STATE_LABELS.get(value, value))
    if key == "agent":
        return names.agent_by_slug.get(value, value)
    if key == "contacted":
        return translate(YES if value else NO)
    if key == "outcome":
        return translate(OUTCOME_LABELS.get(value, value))
    if key == "reason" and value in REASON_LABELS:
        return translate(REASON_LABELS[value])
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def describe(request, change, tz, names):
    """One history line in plain words: when, who, what, and each value before → after."""
    translate = request.localizer.translate
    what = ACTIONS.get((change.subject, change.action))
    before, after = change.before or {}, change.after or {}
    if what is not None and change.subject == "step":
        what = _(what, default=what.default, mapping={"number": after.get("number", "")})
    details = []
    for key in list(dict.fromkeys(list(before) + list(after))):
        if (change.subject, key) in (("cancellation_request", "state"), ("step", "number")):
            continue  # the action already says it
        if key not in before and after.get(key) in (None, "") or (key == "flagged" and not after.get(key)):
            continue  # nothing worth a line: no override, no appointment caught
        label = DETAIL_LABELS.get(key)
        if change.subject == "unavailability" and key == "start":
            label = _("detail_from", default="From")
        details.append({
            "label": translate(label) if label is not None else key,
            "before": readable(request, key, before[key], tz, names) if key in before else None,
            "after": readable(request, key, after[key], tz, names) if key in after else None,
        })
    scope = None
    if change.subject == "unavailability":
        if change.agent_id:
            scope = translate(_("scope_agent", default="Agent ${name}",
                                mapping={"name": names.agent_by_id.get(change.agent_id, "?")}))
        elif change.zone_id:
            scope = translate(_("scope_zone", default="Zone ${name}",
                                mapping={"name": names.zone_by_id.get(change.zone_id, "?")}))
        else:
            scope = translate(_("scope_client", default="The whole client"))
    elif change.subject == "step" and change.campaign_id:
        scope = names.campaign_by_id.get(change.campaign_id)
    elif change.subject == "agent" and change.agent_id:
        scope = names.agent_by_id.get(change.agent_id)
    actor = change.actor
    return {
        "at": local_datetime(change.at, tz, request.locale_name),
        "who": (actor.name or actor.email) if actor is not None else translate(_("who_system", default="System")),
        "what": translate(what) if what is not None else f"{change.subject} {change.action}",
        "subject": change.subject,
        "action": change.action,
        "appointment": change.appointment_number,
        "scope": scope,
        "details": details,
    }


def history_of(request, scope, client, limit):
    names = Names(request.dbsession, client.id)
    return [describe(request, change, client.timezone, names)
            for change in recent_changes(request.dbsession, scope, limit=limit)]


# --- The appointment page -----------------------------------------------------------------------------


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
        may = lambda permission, where=context: request.has_permission(permission, where)  # noqa: E731
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
        if not self.request.has_permission(P.VIEW, self.context):
            return self.request.resource_url(self.request.root)
        return self.request.resource_url(self.context)


TEMPLATE = "callcenter:templates/appointment.jinja2"


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
    return HTTPFound(page.back_url())


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


# --- Folders: recent changes and unavailabilities --------------------------------------------------------


def folder_changes(request, folder):
    # A folder's panel shows its own column of the history (spec §4), scoped like its appointments.
    return history_of(request, folder.appointment_scope, client_folder_of(folder).client, RECENT_CHANGES_LIMIT)


def unavailabilities_of(request, folder):
    """Current and future unavailabilities that concern the folder: its own, and those above it."""
    client = client_folder_of(folder).client
    query = (select(Unavailability).where(Unavailability.client_id == client.id, Unavailability.end_at > request.now)
             .order_by(Unavailability.start_at))
    whole_client = Unavailability.agent_id.is_(None) & Unavailability.zone_id.is_(None)
    if isinstance(folder, ZoneFolder):
        agent_ids = select(agent_zones.c.agent_id).where(agent_zones.c.zone_id == folder.zone.id)
        query = query.where(or_(whole_client, Unavailability.zone_id == folder.zone.id,
                                Unavailability.agent_id.in_(agent_ids)))
    elif isinstance(folder, AgentFolder):
        zone_ids = [zone.id for zone in folder.agent.zones]
        query = query.where(or_(whole_client, Unavailability.agent_id == folder.agent.id,
                                Unavailability.zone_id.in_(zone_ids)))
    rows = request.dbsession.execute(query).scalars().all()
    names = Names(request.dbsession, client.id)
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


def unavailability_form(request, folder, counter=None):
    schema = UnavailabilityForm()
    if request.has_permission(P.OVERRIDE_NOTICE, folder):
        schema.add(override_node())
    return action_form(request, schema, "unavailability-form", request.resource_url(folder, "unavailability"),
                       [("declare", _("Declare the unavailability"), "btn-primary")], counter or itertools.count())


def earliest_unavailability_day(request, folder):
    """Rule 6: declared today, an unavailability may start on this day at the earliest (8 days' notice)."""
    tz = ZoneInfo(client_folder_of(folder).client.timezone)
    day = request.now.astimezone(tz).date() + timedelta(days=UNAVAILABILITY_NOTICE_DAYS)
    return format_date(day, "EEEE d MMMM y", locale=request.locale_name)


def folder_extras(request, folder, failed_form=None):
    """The parts of a folder home that come from the appointment's life."""
    may_declare = isinstance(folder, (ClientFolder, ZoneFolder, AgentFolder)) and request.has_permission(
        P.DECLARE_UNAVAILABILITY, folder)
    form = None
    if failed_form is not None:
        form = failed_form.render()
    elif may_declare:
        form = unavailability_form(request, folder).render()
    return {
        "changes": folder_changes(request, folder),
        "unavailabilities": unavailabilities_of(request, folder)
        if isinstance(folder, (ClientFolder, ZoneFolder, AgentFolder)) else None,
        "unavailability_form": form,
        "may_override": request.has_permission(P.OVERRIDE_NOTICE, folder),
        "earliest_unavailability": earliest_unavailability_day(request, folder),
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


# --- The operators' worklists under /callcenter/ ---------------------------------------------------------


def appointment_resource(request, appointment):
    """The appointment's resource outside traversal, to ask its ACL."""
    folder = client_folder(request, appointment.client)
    container = AppointmentContainer(request, "appointments", folder)
    return AppointmentResource(request, str(appointment.number), container, appointment)


def appointment_url(request, appointment, *elements, **kw):
    return request.resource_url(request.root, "clients", appointment.client.slug, "appointments",
                                str(appointment.number), *elements, **kw)


def worklist_page(request, title_key, items, **extra):
    return dict({"worklist": title_key, "items": items}, **extra)


@view_config(context=CallCenter, name="confirmations", permission=P.BOOK,
             renderer="callcenter:templates/worklist.jinja2")
def confirmations_page(context, request):
    """Rule 3: today's worklist (built each morning) of tomorrow's appointments, by campaign, each with its
    call's progress; those still to call carry the call's form."""
    dbsession, now = request.dbsession, request.now
    callable_clients = {}

    def may_call(appointment):
        if appointment.client_id not in callable_clients:
            callable_clients[appointment.client_id] = request.has_permission(
                P.CONFIRMATION_CALL, appointment_resource(request, appointment))
        return callable_clients[appointment.client_id]

    # Moved to tomorrow since the last run of the task: on the list now, not at the next hour.
    jobs.top_up_worklist(dbsession, [a for a in lifecycle.confirmation_worklist(dbsession, now=now) if may_call(a)],
                         now)
    counter = itertools.count()
    translate = request.localizer.translate
    groups, done, progress = {}, [], {"done": 0, "to_call": 0}
    for call in jobs.todays_calls_everywhere(dbsession, now):
        appointment = call.appointment
        if not may_call(appointment):
            continue
        open_call = call.state != "done" and appointment.state == "to_confirm" and appointment.start_at > now
        form = None
        if open_call:
            form = action_form(request, ConfirmationCallForm(), f"call-{appointment.client_id}-{appointment.number}",
                               appointment_url(request, appointment, "confirmation-call"),
                               [("record", _("Record the call"), "btn-primary")], counter
                               ).render({"came_from": "confirmations", "notes": call.notes})
        row = {
            "appointment": appointment, "call": call, "form": form,
            "call_state": translate(CALL_STATES[call.state]),
            "outcome": translate(CALL_RESULTS[call.outcome]) if call.outcome else None,
            # Confirmed or moved by someone else than the call (the agent, another page): nothing left to call.
            "settled": translate(STATE_LABELS[appointment.state]) if not open_call and call.state != "done" else None,
        }
        if open_call:
            progress["to_call"] += 1
            group = groups.setdefault(appointment.campaign_id, {"campaign": appointment.campaign,
                                                                 "client": appointment.client, "rows": []})
            group["rows"].append(row)
        else:
            progress["done"] += 1
            done.append(row)
    tomorrow = None
    if groups:
        tomorrow = next(iter(groups.values()))["rows"][0]["appointment"].start_at
    return worklist_page(request, "confirmations", list(groups.values()), tomorrow=tomorrow, progress=progress,
                         done=done)


@view_config(context=CallCenter, name="rescheduling", permission=P.BOOK,
             renderer="callcenter:templates/worklist.jinja2")
def rescheduling_page(context, request):
    """Rule 6: appointments caught by an unavailability, to move to another time."""
    rows = [appointment for appointment in lifecycle.rescheduling_worklist(request.dbsession)
            if request.has_permission(P.CONFIRM, appointment_resource(request, appointment))]
    return worklist_page(request, "rescheduling", rows)


@view_config(context=CallCenter, name="recoveries", permission=P.BOOK,
             renderer="callcenter:templates/worklist.jinja2")
def recoveries_page(context, request):
    """Rule 11: recoveries owed, oldest first, each a link to the booking wizard of its campaign."""
    recoveries, by_id = bookable_recoveries(request)
    translate = request.localizer.translate
    rows = []
    for recovery in recoveries:
        cancelled = recovery.cancelled_appointment
        campaign = by_id[recovery.campaign_id]
        rows.append({
            "recovery": recovery,
            "appointment": cancelled,
            "campaign": campaign,
            "state": translate(RECOVERY_STATES.get(recovery.state, recovery.state)),
            "reason": translate(REASON_LABELS[cancelled.cancel_reason])
            if cancelled.cancel_reason in REASON_LABELS else cancelled.cancel_reason,
            "book_url": request.resource_url(request.root, "clients", campaign.client.slug, "campaigns",
                                             campaign.slug, "book", query={"recovers": cancelled.number}),
        })
    return worklist_page(request, "recoveries", rows)


def includeme(config):
    config.scan("callcenter.lifecycle_pages")
