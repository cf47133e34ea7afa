"""Booking rules as pure functions of plain values (spec §5). No database here."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from portal.errors import RuleViolation
from portal.i18n import _

_NONEXISTENT_TIME = _("nonexistent_time", default="This time does not exist on that day (clocks change).")


def as_utc(moment):
    """Elapsed-time arithmetic must be done in UTC: Python adds wall-clock time
    to datetimes that share a ZoneInfo, which is wrong across DST changes."""
    if moment.tzinfo is None:
        raise ValueError("a time without a time zone")
    return moment.astimezone(timezone.utc)


def insertion_deadline(start, cutoff_hours):
    """The last instant a new appointment starting at ``start`` may be inserted (rule 1)."""
    return as_utc(start) - timedelta(hours=cutoff_hours)


def check_insertion_cutoff(start, now, cutoff_hours):
    """Rule 1: refuse a new appointment when less than ``cutoff_hours`` real hours remain.

    2 Oct 12:00 Rome with 36 hours: accepted until 30 Sep 23:59:59, refused from 1 Oct 00:00.
    """
    if as_utc(now) >= insertion_deadline(start, cutoff_hours):
        raise RuleViolation("insertion_cutoff", field="start", mapping={"hours": cutoff_hours})


def appointment_span(start, appointment_minutes, buffer_minutes):
    """(start, end, busy_until): the agent is busy until the end plus the travel buffer (rule 8)."""
    start = as_utc(start)
    end = start + timedelta(minutes=appointment_minutes)
    return start, end, end + timedelta(minutes=buffer_minutes)


def quota_open(taken, purchased):
    """Rule 7: a campaign takes new appointments only while taken < purchased."""
    return taken < purchased


def local_to_utc(naive, tz):
    """A wall-clock time of the client's zone as UTC; a time the clocks skip
    (e.g. 02:30 on the last Sunday of March in Rome) does not exist and is refused."""
    aware = naive.replace(tzinfo=ZoneInfo(tz))
    utc = aware.astimezone(timezone.utc)
    if utc.astimezone(ZoneInfo(tz)).replace(tzinfo=None) != naive:
        raise RuleViolation("validation_error", _NONEXISTENT_TIME, "start")
    return utc


CANCELLATION_REASONS = (
    "prospect_disowns",
    "wrong_target",
    "prospect_unreachable",
    "duplicate",
    "agent_unavailable",
    "not_looked_at_portal",
    "other",
)
CANCELLATION_WINDOW_DAYS = 2


def cancellation_deadline(start, tz):
    """Rule 5: a request is accepted until the end of the second day after the appointment's
    date, client time (appointment on the 10th → until 23:59:59 of the 12th)."""
    zone = ZoneInfo(tz)
    local_day = as_utc(start).astimezone(zone).date()
    return datetime.combine(local_day + timedelta(days=CANCELLATION_WINDOW_DAYS + 1), time(), zone)


def check_cancellation_window(start, now, tz):
    if as_utc(now) >= cancellation_deadline(start, tz):
        raise RuleViolation("cancellation_window_closed", field="reason")


def check_cancellation_reason(reason, contacted):
    """"Not having looked at the portal" is never a reason; "prospect disowns" is not one
    once the agent has contacted the prospect (rule 4)."""
    if reason not in CANCELLATION_REASONS:
        raise RuleViolation("validation_error", _("unknown_reason", default="Choose a reason from the list."),
                            "reason")
    if reason == "not_looked_at_portal" or (reason == "prospect_disowns" and contacted):
        raise RuleViolation("reason_not_allowed", field="reason")
