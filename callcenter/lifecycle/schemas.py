"""API bodies of the appointment's life after booking (spec §9.1)."""
import colander

from callcenter.appointments.models import OUTCOMES
from callcenter.appointments.rules import CANCELLATION_REASONS
from portal.i18n import _
from portal.api.schemas import AwareDateTime, slug_node

NOTES = colander.Length(max=4000)


class Empty(colander.MappingSchema):
    """Actions without a body: ``{}`` (unknown fields are refused like everywhere)."""


class Postpone(colander.MappingSchema):
    start = colander.SchemaNode(AwareDateTime())
    agent = slug_node(missing=None)


class Outcome(colander.MappingSchema):
    outcome = colander.SchemaNode(colander.String(), validator=colander.OneOf(OUTCOMES))
    notes = colander.SchemaNode(colander.String(), validator=NOTES, missing="")


class ConfirmationCall(colander.MappingSchema):
    """The prospect's answer on the call the day before (rule 3)."""

    result = colander.SchemaNode(colander.String(),
                                 validator=colander.OneOf(("confirmed", "postponed", "disowned", "not_reached")))
    start = colander.SchemaNode(AwareDateTime(), missing=None)
    notes = colander.SchemaNode(colander.String(), validator=NOTES, missing="")

    def validator(self, node, value):
        if value["result"] == "postponed" and value["start"] is None:
            raise colander.Invalid(node["start"], _("start_required_to_postpone",
                                                    default="The new time is required to postpone."))


class CancellationRequestCreate(colander.MappingSchema):
    reason = colander.SchemaNode(colander.String(), validator=colander.OneOf(CANCELLATION_REASONS))
    notes = colander.SchemaNode(colander.String(), validator=NOTES, missing="")


class Decision(colander.MappingSchema):
    notes = colander.SchemaNode(colander.String(), validator=NOTES, missing="")


class UnavailabilityCreate(colander.MappingSchema):
    start = colander.SchemaNode(AwareDateTime())
    end = colander.SchemaNode(AwareDateTime())
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(max=500), missing="")
    override = colander.SchemaNode(colander.String(), validator=colander.Length(min=3, max=500), missing=None)
