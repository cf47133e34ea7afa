"""API bodies of clients, campaigns and steps (spec §9.1)."""
import colander

from portal.i18n import _
from portal.schemas_api import StrictInt, name_node, slug_node, timezone_validator


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
