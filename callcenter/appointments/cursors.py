"""The opaque cursors of the appointment lists: a position (start_at, id) in a list's order.

A cursor names where a page ends or begins, never what the reader may see: the list's scope and filters
are applied again to every page, so a forged cursor only moves inside the reader's own list. A cursor
that does not decode into a real position is a ``validation_error`` of the parameter that carried it.
"""
import base64
import binascii
import re
from datetime import UTC, datetime, timedelta

import colander

from portal.i18n import _

VERSION = "1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Every instant a timestamptz and a Python datetime both hold, with a day to spare for the time zones.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
LARGEST_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL
# The URL-safe alphabet without padding; base64 itself would skip any other character instead of refusing it.
ALPHABET = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def encode_cursor(position):
    """The cursor of ``position`` = (start_at, id): URL-safe, without padding."""
    start_at, appointment_id = position
    micros = (start_at - EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{VERSION}.{micros}.{appointment_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The position a cursor names; ValueError if it names none (changed by hand, cut, or of another version)."""
    if not ALPHABET.match(cursor):
        raise ValueError(cursor)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(cursor) from error
    version, micros, appointment_id = (text.split(".") + ["", "", ""])[:3]
    if version != VERSION or not micros.lstrip("-").isdigit() or not appointment_id.isdigit() or text.count(".") != 2:
        raise ValueError(cursor)
    appointment_id = int(appointment_id)
    try:
        start_at = EPOCH + timedelta(microseconds=int(micros))
    except OverflowError as error:
        raise ValueError(cursor) from error
    if not (EARLIEST <= start_at <= LATEST and 0 <= appointment_id <= LARGEST_ID):
        raise ValueError(cursor)
    return start_at, appointment_id


class Cursor(colander.String):
    """A query-string cursor (``after``, ``before``) deserialized into its position."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        value = super().deserialize(node, cstruct)
        try:
            return decode_cursor(value if isinstance(value, str) else "")
        except ValueError:
            raise colander.Invalid(node, _("bad_cursor", default="Not a cursor of this list: follow the "
                                                                 "next or previous link of a page."))
