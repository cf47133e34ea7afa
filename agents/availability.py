"""When an agent can take a meeting: pure functions of schedules and dates (spec §5 rule 9).

Times are reasoned about in the client's zone and returned as UTC intervals
(start, end), so that a day of 23 or 25 hours still opens at 09:00 local.
"""
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from portal.errors import RuleViolation
from portal.i18n import _

SLOT_STEP_MINUTES = 30  # slots start on this grid from the opening of each window


def week_days(week):
    """The seven dates of an ISO week written 2026-W49; anything else is a validation error."""
    try:
        # int() alone would also take "+026", " 9" or non-ASCII digits
        year, number = re.fullmatch(r"([0-9]{4})-W([0-9]{2})", week).groups()
        if not 1 < int(year) < 9999:  # the week and its margins must stay inside Python's calendar
            raise ValueError(week)
        monday = date.fromisocalendar(int(year), int(number), 1)
    except (ValueError, AttributeError, TypeError):
        raise RuleViolation("validation_error", _("bad_week", default="A week is written like 2026-W49."), "week")
    return [monday + timedelta(days=offset) for offset in range(7)]


def iso_week(day):
    year, number, _weekday = day.isocalendar()
    return f"{year}-W{number:02d}"


@lru_cache(maxsize=64)
def public_holidays(country, year):
    """The public holidays of a country in a year (8 December in Italy, and so on).

    A client saved with a country the library does not know (before countries were checked)
    cannot have its calendar computed: a refusal naming the field to correct, not a 500."""
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        raise RuleViolation("conflict", _("unsupported_client_country", default="The client's country (${country}) "
                                          "is not supported, so its public holidays are unknown: correct the "
                                          "client's country.", mapping={"country": country}), "country")


def local_span(day, start_time, end_time, tz):
    """A wall-clock interval of one day as UTC instants."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, start_time, zone).astimezone(timezone.utc)
    end = datetime.combine(day, end_time, zone).astimezone(timezone.utc)
    return start, end


def opening_windows(days, tz, weekly, openings=None, closures=None, closed_days=frozenset(), country=None):
    """The agent's open intervals over ``days``.

    weekly: [(weekday, start_time, end_time)]; openings: {day: [(start, end)]} dated extra
    openings; closures: {day: [(start, end) or (None, None) for the whole day]};
    closed_days: extra closed dates; country: its public holidays are closed too.
    """
    openings, closures = openings or {}, closures or {}
    windows = []
    for day in days:
        if day in closed_days or (country and day in public_holidays(country, day.year)):
            continue
        spans = [(start, end) for weekday, start, end in weekly if weekday == day.weekday()]
        spans += openings.get(day, [])
        day_windows = [local_span(day, start, end, tz) for start, end in spans if end > start]
        for start, end in closures.get(day, []):
            if start is None:
                day_windows = []
                break
            day_windows = subtract(day_windows, [local_span(day, start, end, tz)])
        windows += day_windows
    return merge(windows)


def merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(windows, blocks):
    """The parts of ``windows`` not covered by any of ``blocks``."""
    result = []
    for start, end in windows:
        pieces = [(start, end)]
        for block_start, block_end in blocks:
            pieces = [
                piece
                for piece_start, piece_end in pieces
                for piece in ((piece_start, min(piece_end, block_start)), (max(piece_start, block_end), piece_end))
                if piece[1] > piece[0]
            ]
        result += pieces
    return result


def overlaps(start, end, intervals):
    return any(other_start < end and start < other_end for other_start, other_end in intervals)


def aligned_starts(windows, length, step=SLOT_STEP_MINUTES):
    """Starts on the grid of each window where a meeting of ``length`` fits before it closes."""
    starts = []
    for window_start, window_end in windows:
        start = window_start
        while start + length <= window_end:
            starts.append(start)
            start += timedelta(minutes=step)
    return starts


def free_slots(windows, busy, unavailable, *, length, buffer, earliest):
    """Slots (start, end) opening after ``earliest`` (now plus the cutoff: a start exactly then is
    already refused by rule 1), whose meeting falls in no
    unavailability and whose meeting plus travel buffer overlaps nothing ``busy``
    (appointments with their buffer, other operators' holds)."""
    return [
        (start, start + length)
        for start in aligned_starts(windows, length)
        if start > earliest
        and not overlaps(start, start + length, unavailable)
        and not overlaps(start, start + length + buffer, busy)
    ]


def check_in_schedule(start, length, windows):
    """Rule 9: a booking starts on a slot of an open window; else ``outside_schedule``."""
    if start not in aligned_starts(windows, length):
        raise RuleViolation("outside_schedule", field="start")


def check_available(start, end, unavailable):
    """Rule 9: no meeting inside an unavailability of the agent, its zone or its client."""
    if overlaps(start, end, unavailable):
        raise RuleViolation("agent_unavailable", field="start")


UNAVAILABILITY_NOTICE_DAYS = 8


def unavailability_deadline(start, tz, notice_days=UNAVAILABILITY_NOTICE_DAYS):
    """Rule 6: an unavailability is declared at least 8 days before the day it starts,
    client time (absent on the 27th → declared no later than the 19th)."""
    zone = ZoneInfo(tz)
    first_day = start.astimezone(zone).date()
    return datetime.combine(first_day - timedelta(days=notice_days - 1), datetime.min.time(), zone)


def check_unavailability_notice(start, now, tz, override_reason=None):
    """``notice_too_short`` unless an account manager overrides it with a recorded reason."""
    if now >= unavailability_deadline(start, tz) and not override_reason:
        raise RuleViolation("notice_too_short", field="start")
