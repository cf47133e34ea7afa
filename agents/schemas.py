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
