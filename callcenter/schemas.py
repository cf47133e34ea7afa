"""Booking and listing appointments: API bodies, query strings and the booking form."""
from datetime import date

import colander
import deform

from callcenter.models import APPOINTMENT_STATES
from portal.i18n import _
from portal.schemas import CSRFSchema
from campaigns.fields import StrictBoolean
from portal.schemas_api import AwareDateTime, StrictInt, slug_node

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


class Prospect(colander.MappingSchema):
    name = prospect_name_node()
    phone = phone_node()
    postal_code = postal_code_node()
    province = colander.SchemaNode(colander.String(), validator=colander.Regex(PROVINCE), missing=None)


class BookingCreate(colander.MappingSchema):
    agent = slug_node()
    start = colander.SchemaNode(AwareDateTime())
    hold = colander.SchemaNode(StrictInt(), validator=colander.Range(1, 2**31 - 1), missing=None)
    out_of_schedule = colander.SchemaNode(StrictBoolean(), missing=False)
    prospect = Prospect()
    notes = colander.SchemaNode(colander.String(), validator=colander.Length(max=4000), missing="")
    # The campaign's own fields (rule 14) are checked against its definitions by the booking.
    fields = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing={})


class HoldCreate(colander.MappingSchema):
    agent = slug_node()
    start = colander.SchemaNode(AwareDateTime())


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
    page = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 100_000), missing=1)
    per_page = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 200), missing=50)

    def validator(self, node, value):
        _ordered_dates(node, value)


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


class BookingForm(CSRFSchema):
    agent = colander.SchemaNode(
        colander.String(), title=_("Agent"), widget=deferred_agent_widget, validator=deferred_agent_validator
    )
    start = colander.SchemaNode(
        colander.String(),
        title=_("Start"),
        description=_("start_help", default="Date and time in the client's time zone."),
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"}),
    )
    prospect_name = prospect_name_node(title=_("Prospect name"))
    prospect_phone = phone_node(title=_("Phone"))
    prospect_postal_code = postal_code_node(title=_("Postal code"))
    notes = colander.SchemaNode(
        colander.String(),
        title=_("Notes"),
        missing="",
        validator=colander.Length(max=4000),
        widget=deform.widget.TextAreaWidget(rows=3),
    )
