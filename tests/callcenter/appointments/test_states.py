"""The appointment's states and what each transition does to the counters (rules 2-5)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from agents.availability import check_unavailability_notice, unavailability_deadline
from callcenter.appointments.rules import cancellation_deadline, check_cancellation_reason, check_cancellation_window
from callcenter.appointments.states import (check_active, check_contact_time, check_outcome_time, contacted_before_meeting,
                               counter_deltas, next_state)
from portal.errors import RuleViolation

ROME = "Europe/Rome"


def rome(*args):
    return datetime(*args, tzinfo=ZoneInfo(ROME))


def code_of(call, *args):
    with pytest.raises(RuleViolation) as refused:
        call(*args)
    return refused.value.code


def test_to_confirm_becomes_confirmed():
    assert next_state("confirm", "to_confirm") == "confirmed"


@pytest.mark.parametrize("state", ["confirmed", "cancelled"])
def test_confirming_twice_or_a_cancelled_one_is_a_conflict(state):
    assert code_of(next_state, "confirm", state) == "conflict"


def test_a_cancelled_appointment_cannot_be_cancelled_again_nor_changed():
    assert code_of(next_state, "cancel", "cancelled") == "conflict"
    assert code_of(check_active, "cancelled") == "conflict"


def test_cancelling_frees_the_place_in_taken():
    assert counter_deltas("to_confirm", "cancelled") == {"taken": -1, "to_confirm": -1, "cancelled": 1}
    assert counter_deltas("confirmed", "cancelled") == {"taken": -1, "cancelled": 1}


def test_confirming_keeps_the_place_and_leaves_to_confirm():
    assert counter_deltas("to_confirm", "confirmed") == {"to_confirm": -1}


def test_the_outcome_is_recorded_once_the_meeting_has_started():
    check_outcome_time(rome(2026, 11, 26, 10), rome(2026, 11, 26, 10))
    assert code_of(check_outcome_time, rome(2026, 11, 26, 10), rome(2026, 11, 26, 9, 59)) == "conflict"


def test_cancellation_accepted_on_the_12th_at_23_59_for_an_appointment_on_the_10th():
    check_cancellation_window(rome(2026, 11, 10, 15), rome(2026, 11, 12, 23, 59, 59), ROME)


def test_cancellation_refused_on_the_13th_at_midnight_for_an_appointment_on_the_10th():
    assert code_of(check_cancellation_window, rome(2026, 11, 10, 15), rome(2026, 11, 13, 0, 0), ROME) == \
        "cancellation_window_closed"


def test_cancellation_window_across_the_october_clock_change():
    # Appointment Saturday 24 October 2026; clocks go back on the 25th: the window still ends
    # at midnight between the 26th and the 27th, Rome time (23:00 UTC, no longer 22:00).
    assert cancellation_deadline(rome(2026, 10, 24, 10), ROME) == datetime(2026, 10, 26, 23, 0, tzinfo=timezone.utc)
    check_cancellation_window(rome(2026, 10, 24, 10), rome(2026, 10, 26, 23, 59), ROME)
    assert code_of(check_cancellation_window, rome(2026, 10, 24, 10), rome(2026, 10, 27, 0, 0), ROME) == \
        "cancellation_window_closed"


def test_cancellation_window_across_the_march_clock_change():
    assert cancellation_deadline(rome(2026, 3, 27, 10), ROME) == datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc)


def test_not_having_looked_at_the_portal_is_never_a_reason():
    assert code_of(check_cancellation_reason, "not_looked_at_portal", False) == "reason_not_allowed"


def test_prospect_disowns_is_a_reason_only_before_the_agent_contacted_the_prospect():
    check_cancellation_reason("prospect_disowns", False)
    assert code_of(check_cancellation_reason, "prospect_disowns", True) == "reason_not_allowed"


def test_an_unknown_reason_is_a_validation_error():
    assert code_of(check_cancellation_reason, "bored", False) == "validation_error"


def test_unavailability_starting_the_27th_is_accepted_when_declared_on_the_19th():
    check_unavailability_notice(rome(2026, 11, 27, 9), rome(2026, 11, 19, 23, 59), ROME)


def test_unavailability_starting_the_27th_is_refused_when_declared_on_the_20th():
    assert code_of(check_unavailability_notice, rome(2026, 11, 27, 9), rome(2026, 11, 20, 0, 0), ROME) == \
        "notice_too_short"


def test_an_override_reason_lets_a_short_notice_through():
    check_unavailability_notice(rome(2026, 11, 27, 9), rome(2026, 11, 26, 9), ROME, "Agent in hospital")


def test_unavailability_deadline_is_midnight_of_the_day_after_the_last_day_to_declare():
    assert unavailability_deadline(rome(2026, 11, 27, 0, 0), ROME) == rome(2026, 11, 20, 0, 0)


def test_contact_is_recorded_only_before_the_meeting_on_the_day_summer_time_ends():
    # Sunday 25 October 2026: 10:00 in Rome is 09:00 UTC; 09:59 Rome is still before, 10:00 is not.
    meeting = rome(2026, 10, 25, 10, 0)
    check_contact_time(meeting, rome(2026, 10, 25, 9, 59).astimezone(timezone.utc))
    assert code_of(check_contact_time, meeting, datetime(2026, 10, 25, 9, 0, tzinfo=timezone.utc)) == "conflict"


def test_rule_4_applies_only_to_a_contact_before_the_start():
    meeting = rome(2027, 3, 28, 10, 0)  # the day summer time starts: 08:00 UTC
    assert contacted_before_meeting(datetime(2027, 3, 28, 7, 59, tzinfo=timezone.utc), meeting)
    assert not contacted_before_meeting(datetime(2027, 3, 28, 8, 0, tzinfo=timezone.utc), meeting)
    assert not contacted_before_meeting(None, meeting)
