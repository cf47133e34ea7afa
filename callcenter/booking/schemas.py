"""Booking and listing appointments: API bodies, query strings and the booking form."""
from datetime import date

import colander
import deform

from callcenter.appointments.cursors import Cursor
from callcenter.appointments.models import APPOINTMENT_STATES
from callcenter.appointments.services import MAX_OFFSET_PAGE
from portal.i18n import _
from portal.forms import CSRFSchema
from campaigns.fields import StrictBoolean
from portal.api.schemas import AwareDateTime, StrictInt, slug_node

PHONE = r"^\+?[0-9][0-9 ./-]{5,30}\Z"
POSTAL_CODE = r"^[A-Za-z0-9][A-Za-z0-9 -]{2,9}\Z"


def prospect_name_node(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(min=2, max=200), **kw)


def phone_node(**kw):
    return colander.SchemaNode(
        colander.String(), validator=colander.Regex(PHONE, _("bad_phone", default="Not a phone number.")), **kw
    )


def postal_code_node(**kw):
    return colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(POSTAL_CODE, _("bad_postal_code", default="Not a postal code.")),
        **kw,
    )


PROVINCE = r"^[A-Za-z]{2}\Z"
COMPANY_LENGTH = 200
ADDRESS_LENGTH = 300


def company_node(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(max=COMPANY_LENGTH), missing=None, **kw)


def address_node(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(max=ADDRESS_LENGTH), missing=None, **kw)


def capitals(value):
    """A province as stored: trimmed, in capitals; blank is not given."""
    if not isinstance(value, str):
        return value
    return value.strip().upper() or colander.null


def province_node(**kw):
    """Two letters, stored in capitals (MI)."""
    return colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(PROVINCE, _("bad_province", default="A province is two letters, e.g. MI.")),
        preparer=capitals,
        missing=None,
        **kw,
    )


class Prospect(colander.MappingSchema):
    name = prospect_name_node()
    phone = phone_node()
    postal_code = postal_code_node()
    company = company_node()
    address = address_node()
    province = province_node()


class BookingCreate(colander.MappingSchema):
    agent = slug_node()
    start = colander.SchemaNode(AwareDateTime())
    hold = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 2**31 - 1), missing=None)
    out_of_schedule = colander.SchemaNode(StrictBoolean(), missing=False)
    # The number of the cancelled appointment this booking replaces (rule 11).
    recovers = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 2**31 - 1), missing=None)
    prospect = Prospect()
    notes = colander.SchemaNode(colander.String(), validator=colander.Length(max=4000), missing="")
    # The campaign's own fields (rule 14) are checked against its definitions by the booking.
    fields = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing={})


class ImportRow(colander.MappingSchema):
    """A row of an import (rule 15): a booking body with the state it had in the old system."""

    agent = slug_node()
    start = colander.SchemaNode(AwareDateTime())
    state = colander.SchemaNode(colander.String(), validator=colander.OneOf(APPOINTMENT_STATES))
    prospect = Prospect()
    notes = colander.SchemaNode(colander.String(), validator=colander.Length(max=4000), missing="")
    fields = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing={})


class HoldCreate(colander.MappingSchema):
    agent = slug_node()
    start = colander.SchemaNode(AwareDateTime())
    # Optional: the prospect's area (the agent must work in the zone it routes to, rule 13) and,
    # for a recovery, the number of the cancelled appointment it replaces (rule 11).
    postal_code = postal_code_node(missing=None)
    province = colander.SchemaNode(colander.String(), validator=colander.Regex(PROVINCE), missing=None)
    zone = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    recovers = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 2**31 - 1), missing=None)


class SlotQuery(colander.MappingSchema):
    """Which week and which zone: the zone by name, or routed from the prospect (rule 13)."""

    week = colander.SchemaNode(colander.String(), missing=None)
    postal_code = postal_code_node(missing=None)
    province = colander.SchemaNode(colander.String(), validator=colander.Regex(PROVINCE), missing=None)
    zone = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)


class Flag(colander.String):
    def deserialize(self, node, cstruct):
        value = super().deserialize(node, cstruct)
        if value in (colander.null, ""):
            return False
        if value not in ("0", "1", "true", "false"):
            raise colander.Invalid(node, _("bad_flag", default="Use 1 or 0."))
        return value in ("1", "true")


# Days whose midnight, in any time zone, is still a datetime Python can convert to UTC.
CALENDAR = colander.Range(min=date(2, 1, 1), max=date(9998, 12, 31))


def _ordered_dates(node, value):
    if value["from"] and value["to"] and value["to"] < value["from"]:
        raise colander.Invalid(node["to"], _("dates_reversed", default="The end date is before the start date."))


class AppointmentQuery(colander.MappingSchema):
    """The filters of "Tutti gli appuntamenti" (spec §4), as query-string parameters."""

    upcoming = colander.SchemaNode(Flag(), missing=False)
    state = colander.SchemaNode(colander.String(), validator=colander.OneOf(APPOINTMENT_STATES), missing=None)
    # "from" is a Python keyword, hence the explicit names.
    date_from = colander.SchemaNode(colander.Date(), name="from", validator=CALENDAR, missing=None)
    date_to = colander.SchemaNode(colander.Date(), name="to", validator=CALENDAR, missing=None)
    agent = colander.SchemaNode(colander.String(), missing=None)
    zone = colander.SchemaNode(colander.String(), missing=None)
    campaign = colander.SchemaNode(colander.String(), missing=None)
    q = colander.SchemaNode(colander.String(), validator=colander.Length(max=100), missing=None)
    pending_request = colander.SchemaNode(Flag(), missing=False)  # a cancellation request waits for its decision
    # Keyset pages: the opaque cursors of the previous page's "next" or the next page's "previous".
    after = colander.SchemaNode(Cursor(), missing=None)
    before = colander.SchemaNode(Cursor(), missing=None)
    # Offsets only for the first pages (kept for the clients that used them); deeper, a cursor.
    page = colander.SchemaNode(colander.Int(), validator=colander.Range(1, MAX_OFFSET_PAGE, max_err=_(
        "page_too_deep", default="Pages after ${max} are reached with after= (the next cursor of a page).")),
        missing=1)
    per_page = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 200), missing=50)

    def validator(self, node, value):
        _ordered_dates(node, value)
        if value["after"] is not None and value["before"] is not None:
            raise colander.Invalid(node["before"], _("cursors_exclusive", default="Give after or before, not both."))
        if value["page"] > 1 and (value["after"] is not None or value["before"] is not None):
            raise colander.Invalid(node["page"], _("page_with_cursor", default="A cursor names its page: no page."))


@colander.deferred
def deferred_agent_widget(node, kw):
    choices = [(agent.slug, agent_label(agent)) for agent in kw["agents"]]
    return deform.widget.SelectWidget(values=[("", "—")] + choices)


def agent_label(agent):
    zones = ", ".join(zone.name for zone in agent.zones)
    return f"{agent.name} ({zones})" if zones else agent.name


@colander.deferred
def deferred_agent_validator(node, kw):
    return colander.OneOf([agent.slug for agent in kw["agents"]])


class WizardQuery(colander.MappingSchema):
    """Where the operator is in the booking wizard: the prospect's area and the week shown."""

    week = colander.SchemaNode(colander.String(), validator=colander.Length(max=10), missing=None)
    postal_code = postal_code_node(missing=None)
    province = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(PROVINCE, _("bad_province", default="A province is two letters, e.g. MI.")),
        missing=None,
    )
    zone = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    # The cancelled appointment a recovery booking replaces (rule 11), carried from step to step.
    recovers = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 2**31 - 1), missing=None)


class HoldForm(WizardQuery):
    """A slot button of the week grid: hold this agent at this start (rule 10)."""

    csrf_token = colander.SchemaNode(colander.String(), missing=None)
    agent = slug_node()
    start = colander.SchemaNode(AwareDateTime())


FIELD_PREFIX = "field_"


class FormNumber(colander.Number):
    """A number typed in a form: a whole number stays whole, as the API would send it."""

    @staticmethod
    def num(text):
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(text)
        return int(value) if value.is_integer() and "." not in str(text) and "e" not in str(text).lower() else value


def campaign_field_node(field):
    """The form input of one of the campaign's fields (rule 14). The form only shapes the input;
    the booking validates it against the campaign's definition, like the API."""
    options = {} if field.required else {"missing": None}
    if field.kind == "number":
        typ, widget = FormNumber(), deform.widget.TextInputWidget(attributes={"inputmode": "decimal"})
    elif field.kind == "choice":
        typ = colander.String()
        widget = deform.widget.SelectWidget(values=[("", "—")] + [(choice, choice) for choice in field.choices or []])
    elif field.kind == "date":
        typ, widget = colander.String(), deform.widget.TextInputWidget(attributes={"type": "date"})
    elif field.kind == "yes_no":
        typ = colander.String()
        widget = deform.widget.RadioChoiceWidget(values=(("true", _("Yes")), ("false", _("No"))), inline=True)
    else:
        typ, widget = colander.String(), deform.widget.TextInputWidget()
    return colander.SchemaNode(typ, name=FIELD_PREFIX + field.name, title=field.label,
                               description=field.help_text or None, widget=widget, **options)


class BookingForm(CSRFSchema):
    """Step 3 of the wizard: the prospect; the campaign's own fields are added by ``booking_form``."""

    prospect_name = prospect_name_node(title=_("Prospect name"))
    prospect_phone = phone_node(title=_("Phone"), widget=deform.widget.TextInputWidget(attributes={"type": "tel"}))
    prospect_company = company_node(title=_("Company"))
    prospect_address = address_node(
        title=_("Address"), description=_("address_help", default="Street and number, town: the agent goes there."))
    prospect_postal_code = postal_code_node(title=_("Postal code"))
    prospect_province = province_node(title=_("Province"),
                                      widget=deform.widget.TextInputWidget(attributes={"maxlength": "2"}))
    recovers = colander.SchemaNode(colander.Int(), widget=deform.widget.HiddenWidget(), missing=None,
                                   validator=colander.Range(1, 2**31 - 1))
    notes = colander.SchemaNode(
        colander.String(),
        title=_("Notes"),
        missing="",
        validator=colander.Length(max=4000),
        widget=deform.widget.TextAreaWidget(rows=3),
    )


class OutOfScheduleForm(BookingForm):
    """Rule 9's exception: an agent and a wall-clock time chosen by hand, outside the schedule."""

    agent = colander.SchemaNode(
        colander.String(), title=_("Agent"), widget=deferred_agent_widget, validator=deferred_agent_validator
    )
    start = colander.SchemaNode(
        colander.String(),
        title=_("Start"),
        description=_("start_help", default="Date and time in the client's time zone."),
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"}),
    )


def booking_form(schema, campaign):
    """``schema`` with one input per campaign field, in the campaign's order."""
    if isinstance(schema, OutOfScheduleForm):  # agent and time first, as the operator decides them first
        for name in ("start", "agent"):
            node = schema[name]
            del schema[name]
            schema.insert(1, node)
    notes = schema["notes"]
    del schema["notes"]
    for field in campaign.fields:
        schema.add(campaign_field_node(field))
    schema.add(notes)  # free notes come last, after the campaign's questions
    return schema


def campaign_values(campaign, appstruct):
    """The campaign fields of a validated form, as the booking service takes them."""
    values = {}
    for field in campaign.fields:
        value = appstruct.get(FIELD_PREFIX + field.name)
        if value not in (None, "", colander.null):
            values[field.name] = value
    return values
