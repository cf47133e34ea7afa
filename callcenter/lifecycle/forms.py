"""The forms of an appointment's actions and of a folder's unavailability (rules 2, 3, 5, 6)."""

import colander
import deform

from callcenter.appointments.forms import local_time_widget
from callcenter.appointments.labels import CALL_RESULTS, OUTCOME_LABELS, REASON_LABELS
from callcenter.appointments.models import OUTCOMES
from callcenter.appointments.rules import CANCELLATION_REASONS
from portal.i18n import _
from portal.forms import CSRFSchema

NOTES = colander.Length(max=4000)
WORKLISTS = ("confirmations", "rescheduling", "recoveries")
PENDING_REQUESTS = "cancellation-requests"  # /dashboard/cancellation-requests
HOME = "home"  # the user's home: the agent's day on the folder


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


