"""Booking rules as pure functions, with the worked examples of spec §5."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from callcenter.appointments.rules import appointment_span, check_insertion_cutoff, insertion_deadline, local_to_utc, quota_open
from portal.errors import RuleViolation

ROME = ZoneInfo("Europe/Rome")


def rome(*args):
    return datetime(*args, tzinfo=ROME)


def refused(start, now, hours=36):
    with pytest.raises(RuleViolation) as error:
        check_insertion_cutoff(start, now, hours)
    return error.value


def test_insertion_accepted_at_23_59_of_30_september_for_2_october_noon():
    check_insertion_cutoff(rome(2026, 10, 2, 12), rome(2026, 9, 30, 23, 59), 36)


def test_insertion_refused_from_midnight_of_1_october_for_2_october_noon():
    violation = refused(rome(2026, 10, 2, 12), rome(2026, 10, 1, 0, 0))
    assert (violation.code, violation.field, violation.status) == ("insertion_cutoff", "start", 422)


def test_insertion_refused_35_hours_before():
    refused(rome(2026, 10, 2, 12), rome(2026, 10, 1, 1, 0))


def test_cutoff_is_36_real_hours_across_the_october_change_35_on_the_wall_clock():
    # Clocks go back on Sunday 25 October 2026: 36 real hours before Monday 26 at 12:00
    # is Sunday 25 at 01:00 (summer time), 35 hours earlier on the wall clock.
    start = rome(2026, 10, 26, 12)
    deadline = insertion_deadline(start, 36).astimezone(ROME)
    assert deadline.replace(tzinfo=None) == datetime(2026, 10, 25, 1, 0)
    assert start.replace(tzinfo=None) - deadline.replace(tzinfo=None) == timedelta(hours=35)
    check_insertion_cutoff(start, deadline - timedelta(minutes=1), 36)
    refused(start, deadline)


def test_cutoff_is_36_real_hours_across_the_march_change_37_on_the_wall_clock():
    # Clocks go forward on Sunday 29 March 2026: 36 real hours before Monday 30 at 12:00
    # is Saturday 28 at 23:00 (winter time), 37 hours earlier on the wall clock.
    start = rome(2026, 3, 30, 12)
    deadline = insertion_deadline(start, 36).astimezone(ROME)
    assert deadline.replace(tzinfo=None) == datetime(2026, 3, 28, 23, 0)
    assert start.replace(tzinfo=None) - deadline.replace(tzinfo=None) == timedelta(hours=37)
    check_insertion_cutoff(start, deadline - timedelta(minutes=1), 36)
    refused(start, deadline)


def test_cutoff_compares_instants_whatever_the_zones_of_start_and_now():
    start = rome(2026, 10, 2, 12)
    check_insertion_cutoff(start, datetime(2026, 9, 30, 21, 59, tzinfo=timezone.utc), 36)
    refused(start, datetime(2026, 9, 30, 22, 0, tzinfo=timezone.utc))


def test_cutoff_setting_of_the_campaign_is_used():
    start = rome(2026, 10, 2, 12)
    check_insertion_cutoff(start, rome(2026, 10, 1, 23), 12)
    refused(start, rome(2026, 10, 2, 0, 1), 12)


def test_start_in_the_past_is_refused():
    refused(rome(2026, 10, 1, 9), rome(2026, 10, 2, 9))


def test_span_adds_length_and_travel_buffer_in_real_time_across_the_october_change():
    start, end, busy_until = appointment_span(rome(2026, 10, 25, 1, 30), 60, 30)
    assert start == datetime(2026, 10, 24, 23, 30, tzinfo=timezone.utc)
    assert end - start == timedelta(minutes=60)
    assert busy_until - end == timedelta(minutes=30)


def test_quota_open_while_taken_below_purchased():
    assert quota_open(189, 200)
    assert not quota_open(200, 200)
    assert not quota_open(0, 0)


def test_local_time_skipped_by_the_march_change_does_not_exist():
    with pytest.raises(RuleViolation) as error:
        local_to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Rome")
    assert (error.value.code, error.value.field) == ("validation_error", "start")


def test_local_time_repeated_by_the_october_change_is_its_first_occurrence():
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Rome") == datetime(
        2026, 10, 25, 0, 30, tzinfo=timezone.utc
    )


def test_local_time_is_converted_to_utc():
    assert local_to_utc(datetime(2026, 12, 8, 10, 0), "Europe/Rome") == datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)
