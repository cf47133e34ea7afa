"""API bodies of zones, agents and users (spec §9.1)."""
import colander

from portal.i18n import _
from portal.models import ROLES
from portal.schemas import MIN_PASSWORD_LENGTH
from portal.schemas_api import StrictInt, name_node, slug_node


# The column holds 254 characters: a longer address must be a 400, not a database error.
email_validator = colander.All(colander.Email(), colander.Length(max=254))


class Strings(colander.SequenceSchema):
    item = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=60))


class ZoneCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    provinces = Strings(missing=())
    postal_codes = Strings(missing=())


class Interval(colander.MappingSchema):
    weekday = colander.SchemaNode(StrictInt(), validator=colander.Range(0, 6))
    start = colander.SchemaNode(colander.Time())
    end = colander.SchemaNode(colander.Time())


class Schedule(colander.SequenceSchema):
    interval = Interval()


class AgentCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    email = colander.SchemaNode(colander.String(), validator=email_validator, missing="")
    phone = colander.SchemaNode(colander.String(), validator=colander.Length(max=40), missing="")
    zones = Strings(missing=())
    schedule = Schedule(missing=())


class UserCreate(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=email_validator)
    password = colander.SchemaNode(
        colander.String(),
        validator=colander.Length(min=MIN_PASSWORD_LENGTH, min_err=_("password_too_short", default="At least ${min} characters.")),
    )
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    name = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")
    client = colander.SchemaNode(colander.String(), missing=None)
    zones = Strings(missing=())
    agent = colander.SchemaNode(colander.String(), missing=None)


class ScheduleReplace(colander.MappingSchema):
    schedule = Schedule()


def _exception_times(node, value):
    if value["kind"] == "opening" and (value["start"] is None or value["end"] is None):
        raise colander.Invalid(node["start"], _("opening_needs_times", default="An opening needs its start and end."))
    if (value["start"] is None) != (value["end"] is None):
        raise colander.Invalid(node["end"], _("both_times_or_none", default="Give both times, or neither."))
    if value["start"] is not None and value["end"] <= value["start"]:
        raise colander.Invalid(node["end"], _("schedule_end_before_start",
                                              default="A schedule interval must end after it starts."))


class ExceptionCreate(colander.MappingSchema):
    """A dated opening, or a closure of a whole day (no times) or of part of it."""

    day = colander.SchemaNode(colander.Date())
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(("opening", "closure")))
    start = colander.SchemaNode(colander.Time(), missing=None)
    end = colander.SchemaNode(colander.Time(), missing=None)
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")

    def validator(self, node, value):
        _exception_times(node, value)


class ClosedDayCreate(colander.MappingSchema):
    day = colander.SchemaNode(colander.Date())
    zone = colander.SchemaNode(colander.String(), missing=None)
    agent = colander.SchemaNode(colander.String(), missing=None)
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")
