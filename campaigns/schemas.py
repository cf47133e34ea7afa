"""API bodies of clients, campaigns and steps (spec §9.1)."""
import colander
import deform
import holidays

from campaigns.fields import StrictBoolean
from campaigns.models import FIELD_KINDS
from portal.i18n import _
from portal.forms import CSRFSchema
from portal.api.schemas import DATE_RANGE, StrictInt, name_node, new_name_node, slug_node, timezone_validator


class NullableInt(StrictInt):
    """A whole number, or JSON null for "none"."""

    def deserialize(self, node, cstruct):
        if cstruct is None:
            return None
        return super().deserialize(node, cstruct)


class NullableEmail(colander.String):
    """Text, or JSON null for "none"."""

    def deserialize(self, node, cstruct):
        if cstruct is None:
            return None
        return super().deserialize(node, cstruct)


def optional_email(node, value):
    if value is not None:
        colander.Email()(node, value)


# The countries whose public holidays the `holidays` library knows: another code would leave the
# agents' calendars without their holidays, or fail when the slots are computed (README "Bad input").
SUPPORTED_COUNTRIES = frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


def country_validator(node, value):
    if value not in SUPPORTED_COUNTRIES:
        raise colander.Invalid(node, _("unsupported_country", default="Country not supported: its public holidays "
                                                                      "are not known (use a code such as IT)."))


def optional_range(low, high):
    def validate(node, value):
        if value is not None:
            colander.Range(low, high)(node, value)
    return validate


class ClientCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    timezone = colander.SchemaNode(colander.String(), validator=timezone_validator, missing="Europe/Rome")
    country = colander.SchemaNode(colander.String(), validator=country_validator, missing="IT")
    account_manager = colander.SchemaNode(colander.String(), validator=colander.Email(), missing=None)


class ClientUpdate(colander.MappingSchema):
    """PATCH of a client: only what is sent changes; the slug stays."""

    name = new_name_node()
    timezone = colander.SchemaNode(colander.String(), validator=timezone_validator, missing=colander.drop)
    country = colander.SchemaNode(colander.String(), validator=country_validator, missing=colander.drop)
    # E-mail of the new account manager, or null for none: admins only.
    account_manager = colander.SchemaNode(NullableEmail(), validator=optional_email, missing=colander.drop)


# The bounds of a campaign's settings, shared by the API bodies and the browser forms.
APPOINTMENT_MINUTES = colander.Range(10, 8 * 60)
BUFFER_MINUTES = colander.Range(0, 4 * 60)
CUTOFF_HOURS = colander.Range(0, 24 * 30)
HOLD_MINUTES = colander.Range(1, 60)
REMINDER_HOURS = optional_range(1, 7 * 24)
RECOVERIES_PER_DAY = colander.Range(1, 1000)


class CampaignCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    appointment_minutes = colander.SchemaNode(StrictInt(), validator=APPOINTMENT_MINUTES, missing=60)
    buffer_minutes = colander.SchemaNode(StrictInt(), validator=BUFFER_MINUTES, missing=30)
    cutoff_hours = colander.SchemaNode(StrictInt(), validator=CUTOFF_HOURS, missing=36)


def _valid_range(node, value):
    if value["valid_from"] and value["valid_to"] and value["valid_to"] < value["valid_from"]:
        raise colander.Invalid(node["valid_to"], _("step_dates_reversed", default="The step ends before it starts."))


class StepCreate(colander.MappingSchema):
    quantity = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 1_000_000))
    valid_from = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, missing=None)
    valid_to = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, missing=None)
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=500), missing="")

    def validator(self, node, value):
        _valid_range(node, value)


class StepUpdate(colander.MappingSchema):
    """PATCH of a draft step's terms: only what is sent changes (the dates are checked together after)."""

    quantity = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 1_000_000), missing=colander.drop)
    valid_from = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, missing=colander.drop)
    valid_to = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, missing=colander.drop)
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=500), missing=colander.drop)


class Percentages(colander.SequenceSchema):
    percentage = colander.SchemaNode(StrictInt())


class CampaignSettings(colander.MappingSchema):
    """PATCH of a campaign's booking settings: only what is sent changes."""

    name = new_name_node()
    appointment_minutes = colander.SchemaNode(StrictInt(), validator=APPOINTMENT_MINUTES, missing=colander.drop)
    buffer_minutes = colander.SchemaNode(StrictInt(), validator=BUFFER_MINUTES, missing=colander.drop)
    cutoff_hours = colander.SchemaNode(StrictInt(), validator=CUTOFF_HOURS, missing=colander.drop)
    hold_minutes = colander.SchemaNode(StrictInt(), validator=HOLD_MINUTES, missing=colander.drop)
    # Hours before each meeting its agent is reminded; null: no reminders.
    reminder_hours = colander.SchemaNode(NullableInt(), validator=REMINDER_HOURS, missing=colander.drop)
    # Rule 12's percentages (checked by the service, as for the settings page) and rule 11's pace.
    alert_thresholds = Percentages(missing=colander.drop)
    recoveries_per_day = colander.SchemaNode(StrictInt(), validator=RECOVERIES_PER_DAY, missing=colander.drop)


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
    valid_from = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, title=_("Valid from"), missing=None,
                                     widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
    valid_to = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, title=_("Valid to"), missing=None,
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


# --- Browser forms of the management pages (spec §6: clients, campaigns, fields) --------------------------


class ListOf(colander.SchemaType):
    """Text typed in a box, split on ``separators`` into a list of trimmed, non-empty items."""

    def __init__(self, separators=",\n", item=str):
        self.separators = separators
        self.item = item

    def serialize(self, node, appstruct):
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return (", " if "," in self.separators else "\n").join(str(value) for value in appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None or not str(cstruct).strip():
            return colander.null
        text = str(cstruct)
        for separator in self.separators[1:]:
            text = text.replace(separator, self.separators[0])
        items = [part.strip() for part in text.split(self.separators[0]) if part.strip()]
        try:
            return [self.item(part) for part in items]
        except ValueError:
            raise colander.Invalid(node, _("whole_numbers_expected", default="Whole numbers separated by commas."))


def each_item(validator):
    def validate(node, values):
        for value in values:
            validator(node, value)
    return validate


def number_node(title, validator, **kw):
    return colander.SchemaNode(colander.Integer(), title=title, validator=validator,
                               widget=deform.widget.TextInputWidget(attributes={"type": "number"}), **kw)


@colander.deferred
def deferred_timezone_widget(node, kw):
    from zoneinfo import available_timezones

    return deform.widget.SelectWidget(values=[(name, name) for name in sorted(available_timezones())])


@colander.deferred
def deferred_account_manager_widget(node, kw):
    return deform.widget.SelectWidget(
        values=[("", _("No account manager"))] + [(str(user.id), f"{user.name or user.email} <{user.email}>")
                                                for user in kw["account_managers"]])


@colander.deferred
def deferred_account_manager_validator(node, kw):
    return colander.OneOf([str(user.id) for user in kw["account_managers"]])


class ClientEditForm(CSRFSchema):
    """A client's details; only an admin sees (and changes) its account manager."""

    name = name_node(title=_("Name"))
    timezone = colander.SchemaNode(colander.String(), title=_("Time zone"), validator=timezone_validator,
                                   widget=deferred_timezone_widget, default="Europe/Rome")
    country = colander.SchemaNode(
        colander.String(), title=_("Country"), default="IT", preparer=lambda value: value.strip().upper()
        if isinstance(value, str) else value,
        validator=colander.All(colander.Regex(r"^[A-Z]{2}\Z", _("bad_country", default="Two letters, e.g. IT.")),
                               country_validator),
        description=_("country_help", default="Its public holidays close the agents' calendars."))
    account_manager = colander.SchemaNode(colander.String(), title=_("Account manager"), missing="",
                                          widget=deferred_account_manager_widget,
                                          validator=deferred_account_manager_validator)


class ClientForm(ClientEditForm):
    """A new client; an admin names its account manager, an account manager takes it in his/her portfolio."""

    slug = slug_node(title=_("Short name in addresses"), insert_before="name",
                     description=_("slug_help", default="Lower-case letters, digits and dashes; it cannot change."))


class CampaignForm(CSRFSchema):
    slug = slug_node(title=_("Short name in addresses"),
                     description=_("slug_help", default="Lower-case letters, digits and dashes; it cannot change."))
    name = name_node(title=_("Name"))
    appointment_minutes = number_node(_("Appointment length (minutes)"), APPOINTMENT_MINUTES, default=60)
    buffer_minutes = number_node(_("Travel buffer between appointments (minutes)"), BUFFER_MINUTES, default=30)
    cutoff_hours = number_node(_("Insertion cutoff (hours before the appointment)"), CUTOFF_HOURS, default=36)


class CampaignSettingsForm(CSRFSchema):
    """Everything the API's settings change, plus the quota alerts and the pace of recoveries."""

    name = name_node(title=_("Name"))
    appointment_minutes = number_node(_("Appointment length (minutes)"), APPOINTMENT_MINUTES)
    buffer_minutes = number_node(_("Travel buffer between appointments (minutes)"), BUFFER_MINUTES)
    cutoff_hours = number_node(_("Insertion cutoff (hours before the appointment)"), CUTOFF_HOURS)
    hold_minutes = number_node(_("Hold on a slot while booking (minutes)"), HOLD_MINUTES)
    alert_thresholds = colander.SchemaNode(
        ListOf(",", int), title=_("Quota alerts (percent of purchased)"),
        description=_("alert_thresholds_help", default="Percentages from 1 to 100 separated by commas, e.g. 80, 90, 100."))
    recoveries_per_day = number_node(_("Recoveries released per day"), RECOVERIES_PER_DAY)
    reminder_hours = number_node(_("Reminder to the agent (hours before)"), REMINDER_HOURS, missing=None,
                                 description=_("reminder_hours_help", default="Empty: no reminders."))


class FieldForm(CSRFSchema):
    """A prospect field operators fill in when booking (rule 14)."""

    name = colander.SchemaNode(
        colander.String(), title=_("Code"),
        validator=colander.Regex(r"^[a-z][a-z0-9_]{0,59}\Z", _("bad_field_name",
                                 default="Lower-case letters, digits and underscores, starting with a letter.")),
        description=_("field_name_help", default="The key of the field in the API, e.g. roof_type."))
    label = name_node(title=_("Label"))
    kind = colander.SchemaNode(colander.String(), title=_("Kind"), validator=colander.OneOf(FIELD_KINDS),
                               widget=deform.widget.SelectWidget(values=[
                                   ("text", _("Text")), ("number", _("Number")), ("choice", _("Choice")),
                                   ("date", _("Date")), ("yes_no", _("Yes/no"))]))
    required = colander.SchemaNode(colander.Boolean(), title=_("Required"), missing=False,
                                   widget=deform.widget.CheckboxWidget())
    help_text = colander.SchemaNode(colander.String(), title=_("Help for the operators"), missing="",
                                    validator=colander.Length(max=500), widget=deform.widget.TextAreaWidget(rows=2))
    choices = colander.SchemaNode(ListOf("\n"), title=_("Choices"), missing=[],
                                  validator=each_item(colander.Length(min=1, max=100)),
                                  description=_("choices_help", default="For a choice field: one choice per line."),
                                  widget=deform.widget.TextAreaWidget(rows=4))

    def validator(self, node, value):
        try:
            _choices_for_choice_fields(node, value)
        except colander.Invalid as invalid:  # shown beside the choices
            error = colander.Invalid(node)
            error[invalid.node.name] = invalid.msg
            raise error
