"""API bodies of clients, campaigns and steps (spec §9.1)."""
import colander
import deform

from campaigns.fields import StrictBoolean
from campaigns.models import FIELD_KINDS
from portal.i18n import _
from portal.schemas import CSRFSchema
from portal.schemas_api import StrictInt, name_node, slug_node, timezone_validator


class NullableInt(StrictInt):
    """A whole number, or JSON null for "none"."""

    def deserialize(self, node, cstruct):
        if cstruct is None:
            return None
        return super().deserialize(node, cstruct)


def optional_range(low, high):
    def validate(node, value):
        if value is not None:
            colander.Range(low, high)(node, value)
    return validate


class ClientCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    timezone = colander.SchemaNode(colander.String(), validator=timezone_validator, missing="Europe/Rome")
    country = colander.SchemaNode(colander.String(), validator=colander.Regex(r"^[A-Z]{2}\Z"), missing="IT")
    account_manager = colander.SchemaNode(colander.String(), validator=colander.Email(), missing=None)


class CampaignCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    appointment_minutes = colander.SchemaNode(StrictInt(), validator=colander.Range(10, 8 * 60), missing=60)
    buffer_minutes = colander.SchemaNode(StrictInt(), validator=colander.Range(0, 4 * 60), missing=30)
    cutoff_hours = colander.SchemaNode(StrictInt(), validator=colander.Range(0, 24 * 30), missing=36)


def _valid_range(node, value):
    if value["valid_from"] and value["valid_to"] and value["valid_to"] < value["valid_from"]:
        raise colander.Invalid(node["valid_to"], _("step_dates_reversed", default="The step ends before it starts."))


class StepCreate(colander.MappingSchema):
    quantity = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 1_000_000))
    valid_from = colander.SchemaNode(colander.Date(), missing=None)
    valid_to = colander.SchemaNode(colander.Date(), missing=None)
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=500), missing="")

    def validator(self, node, value):
        _valid_range(node, value)


class CampaignSettings(colander.MappingSchema):
    """PATCH of a campaign's booking settings: only what is sent changes."""

    name = name_node(missing=colander.drop)
    appointment_minutes = colander.SchemaNode(StrictInt(), validator=colander.Range(10, 8 * 60), missing=colander.drop)
    buffer_minutes = colander.SchemaNode(StrictInt(), validator=colander.Range(0, 4 * 60), missing=colander.drop)
    cutoff_hours = colander.SchemaNode(StrictInt(), validator=colander.Range(0, 24 * 30), missing=colander.drop)
    hold_minutes = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 60), missing=colander.drop)
    # Hours before each meeting its agent is reminded; null: no reminders.
    reminder_hours = colander.SchemaNode(NullableInt(), validator=optional_range(1, 7 * 24), missing=colander.drop)


class Choices(colander.SequenceSchema):
    choice = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=100))


def _choices_for_choice_fields(node, value):
    if value["kind"] == "choice" and not value["choices"]:
        raise colander.Invalid(node["choices"], _("choices_required", default="A choice field needs its choices."))


class FieldCreate(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Regex(r"^[a-z][a-z0-9_]{0,59}\Z"))
    label = name_node()
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(FIELD_KINDS))
    required = colander.SchemaNode(StrictBoolean(), missing=False)
    help_text = colander.SchemaNode(colander.String(), validator=colander.Length(max=500), missing="")
    choices = Choices(missing=())

    def validator(self, node, value):
        _choices_for_choice_fields(node, value)


# --- Browser form of the steps pages ---------------------------------------------------------------


class StepForm(CSRFSchema):
    """A draft step's terms, as the account manager types them."""

    quantity = colander.SchemaNode(
        colander.Integer(), title=_("Appointments purchased"),
        validator=colander.Range(1, 1_000_000, min_err=_("step_quantity_positive",
                                                         default="A step buys at least one appointment.")),
        widget=deform.widget.TextInputWidget(attributes={"type": "number", "min": "1"}))
    valid_from = colander.SchemaNode(colander.Date(), title=_("Valid from"), missing=None,
                                     widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
    valid_to = colander.SchemaNode(colander.Date(), title=_("Valid to"), missing=None,
                                   widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
    description = colander.SchemaNode(colander.String(), title=_("Description"), missing="",
                                      validator=colander.Length(max=500), widget=deform.widget.TextAreaWidget(rows=3))

    def validator(self, node, value):
        try:
            _valid_range(node, value)
        except colander.Invalid as invalid:  # shown beside the end date
            error = colander.Invalid(node)
            error[invalid.node.name] = invalid.msg
            raise error


def number_node(title, low, high, description=None, **kw):
    return colander.SchemaNode(colander.Integer(), title=title, description=description,
                               validator=colander.Range(low, high),
                               widget=deform.widget.TextInputWidget(attributes={"type": "number", "min": str(low),
                                                                                "max": str(high)}), **kw)


class CampaignSettingsForm(CSRFSchema):
    """The campaign's booking settings, as the API's PATCH takes them (the same ranges)."""

    name = colander.SchemaNode(colander.String(), title=_("Name"), validator=colander.Length(min=1, max=200))
    appointment_minutes = number_node(_("Length of an appointment (minutes)"), 10, 8 * 60)
    buffer_minutes = number_node(_("Travel buffer after it (minutes)"), 0, 4 * 60)
    cutoff_hours = number_node(_("Insertion cutoff (hours)"), 0, 24 * 30,
                               _("A new appointment must start at least this many hours after it is booked."))
    hold_minutes = number_node(_("Hold while booking (minutes)"), 1, 60)
    reminder_hours = number_node(_("Reminder to the agent (hours before)"), 1, 7 * 24,
                                 _("Empty: no reminders."), missing=None)
