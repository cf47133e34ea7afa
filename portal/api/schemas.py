"""Colander pieces shared by the API schemas of every package."""
import re
from datetime import date, datetime, timezone
from zoneinfo import available_timezones

import colander

from portal.i18n import _

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}\Z")


def slug_node(**kw):
    return colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(SLUG, _("bad_slug", default="Lower-case letters, digits and dashes only.")),
        **kw,
    )


def name_node(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200), **kw)


def new_name_node():
    """A name in a PATCH: left out, it stays; sent empty, it is refused (not taken for left out)."""
    return colander.SchemaNode(colander.String(allow_empty=True), validator=colander.Length(min=1, max=200),
                               missing=colander.drop)


# The times the portal deals in. Before 1972 some zones still had offsets in seconds (Rome's
# local mean time, +00:49:56, until 1893), which ISO 8601 with ±HH:MM cannot write (README "Bad input");
# past 9999 the conversions overflow. Both ends are far from any appointment.
EARLIEST = datetime(1980, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
OUT_OF_RANGE = _("date_out_of_range", default="The date must be between 1980 and 2099.")
DATE_RANGE = colander.Range(min=EARLIEST.date(), max=date(LATEST.year - 1, 12, 31), min_err=OUT_OF_RANGE,
                            max_err=OUT_OF_RANGE)


def timezone_validator(node, value):
    if value not in available_timezones():
        raise colander.Invalid(node, _("unknown_timezone", default="Unknown time zone."))


class AwareDateTime(colander.DateTime):
    """ISO 8601 with an offset; a time without one is ambiguous and refused (spec §9)."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct == "":
            return colander.null
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, _("bad_datetime", default="A date and time in ISO 8601 with an offset."))
        try:
            value = datetime.fromisoformat(cstruct.replace("Z", "+00:00"))
        except ValueError:
            raise colander.Invalid(node, _("bad_datetime", default="A date and time in ISO 8601 with an offset."))
        if value.tzinfo is None:
            raise colander.Invalid(node, _("missing_offset", default="The time needs an offset, e.g. +01:00."))
        if not EARLIEST <= value < LATEST:
            raise colander.Invalid(node, OUT_OF_RANGE)
        return value


INTEGER_MIN, INTEGER_MAX = -2**31, 2**31 - 1  # PostgreSQL's INTEGER


class StrictInt(colander.Int):
    """JSON numbers only: "3" or 3.5 are not quantities."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, bool) or not isinstance(cstruct, int):
            raise colander.Invalid(node, _("integer_expected", default="A whole number is expected."))
        if not INTEGER_MIN <= cstruct <= INTEGER_MAX:  # before any rule: no INTEGER column holds it
            raise colander.Invalid(node, _("number_out_of_range", default="The number is out of range."))
        return cstruct


class StrictString(colander.String):
    def deserialize(self, node, cstruct):
        if cstruct is not colander.null and cstruct is not None and not isinstance(cstruct, str):
            raise colander.Invalid(node, _("string_expected", default="Text is expected."))
        return super().deserialize(node, cstruct)
