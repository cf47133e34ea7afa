"""Rule 14: a campaign's extra prospect fields, validated like the built-in ones."""
import math
import re

import colander

from portal.errors import RuleViolation
from portal.i18n import _


class StrictNumber(colander.Number):
    """A JSON number (not a string, not true/false)."""

    num = float

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None:
            return colander.null
        # NaN and infinity parse from JSON bodies but are not JSON: PostgreSQL would refuse them at flush.
        if (isinstance(cstruct, bool) or not isinstance(cstruct, (int, float))
                or (isinstance(cstruct, float) and not math.isfinite(cstruct))):
            raise colander.Invalid(node, _("number_expected", default="A number is expected."))
        return cstruct


class StrictBoolean(colander.SchemaType):
    """JSON true or false, nothing else; the browser form sends "true"/"false"."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None:
            return colander.null
        # "is": 1 == True and 0 == False, but 1 and 0 are numbers, not yes or no
        if cstruct is True or cstruct in ("true", "on"):
            return True
        if cstruct is False or cstruct == "false":
            return False
        raise colander.Invalid(node, _("yes_no_expected", default="Yes or no is expected."))


class IsoDate(colander.Date):
    """A date kept as its ISO text, so that it can be stored as JSON."""

    def deserialize(self, node, cstruct):
        # colander.Date alone also takes "20260301" and datetimes, whose time would be dropped silently
        if isinstance(cstruct, str) and cstruct and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cstruct):
            raise colander.Invalid(node, self.err_template)  # colander's own "Invalid date", translated
        value = super().deserialize(node, cstruct)
        return value.isoformat() if value is not colander.null else value


def field_node(field):
    kind = {
        "text": lambda: (colander.String(), colander.Length(max=500)),
        "number": lambda: (StrictNumber(), None),
        "choice": lambda: (colander.String(), colander.OneOf(field.choices or [])),
        "date": lambda: (IsoDate(), None),
        "yes_no": lambda: (StrictBoolean(), None),
    }[field.kind]
    typ, validator = kind()
    options = {} if field.required else {"missing": None}
    return colander.SchemaNode(typ, name=field.name, title=field.label, description=field.help_text,
                               validator=validator, **options)


def fields_schema(campaign):
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"), name="fields")
    for field in campaign.fields:
        schema.add(field_node(field))
    return schema


def validate_fields(campaign, data):
    """The campaign's fields from ``data``; an unknown or wrong one names ``fields.<name>``."""
    data = data or {}
    if not isinstance(data, dict):
        raise RuleViolation("validation_error", _("json_object_expected", default="The body must be a JSON object."),
                            "fields")
    known = {field.name for field in campaign.fields}
    for name in data:
        if name not in known:
            raise RuleViolation("validation_error", _("unknown_field", default="Unknown field."), f"fields.{name}")
    try:
        values = fields_schema(campaign).deserialize(data)
    except colander.Invalid as invalid:
        # The field's own message, not asdict()'s English text, so that it is translated like the others.
        wrong = min(invalid.children, key=lambda child: child.node.name) if invalid.children else None
        if wrong is None:
            raise RuleViolation("validation_error", invalid.msg, "fields")
        raise RuleViolation("validation_error", wrong.msg, f"fields.{wrong.node.name}")
    return {name: value for name, value in values.items() if value is not None}
