"""The pages' usual date and time, written without babel's pattern engine, is babel's to the letter."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from portal.layout import DATETIME_FORMAT, local_datetime


@pytest.mark.parametrize("locale", ["it", "en"])
@pytest.mark.parametrize("tz", ["Europe/Rome", "America/New_York"])
def test_local_datetime_writes_what_babel_writes(locale, tz):
    first = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
    for step in range(400):  # every weekday and month, both sides of the clock changes
        moment = first + timedelta(hours=23 * step, minutes=7 * step)
        expected = format_datetime(moment.astimezone(ZoneInfo(tz)), DATETIME_FORMAT, locale=locale)
        assert local_datetime(moment, tz, locale) == expected


def test_a_monday_in_rome():
    assert local_datetime(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == "lun 23 nov 2026, 09:00"
    assert local_datetime(None) == ""
