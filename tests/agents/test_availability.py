"""When an agent can take a meeting, as pure functions with worked examples (spec §5 rule 9)."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from agents.availability import (
    aligned_starts,
    check_available,
    check_in_schedule,
    free_slots,
    iso_week,
    merge,
    opening_windows,
    public_holidays,
    subtract,
    week_days,
)
from portal.errors import RuleViolation

ROME = "Europe/Rome"
WEEKDAYS_9_TO_18 = [(weekday, time(9), time(18)) for weekday in range(5)]
EVERY_DAY_9_TO_18 = [(weekday, time(9), time(18)) for weekday in range(7)]
HOUR = timedelta(hours=1)
LENGTH, BUFFER = timedelta(minutes=60), timedelta(minutes=30)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def windows_of(day, weekly=WEEKDAYS_9_TO_18, **kw):
    return opening_windows([day], ROME, weekly, **kw)


def refusal(function, *args):
    with pytest.raises(RuleViolation) as error:
        function(*args)
    return error.value.code, error.value.field


# --- Weekly schedule in Rome time, across daylight-saving changes --------------------------------


def test_winter_weekday_opens_at_8_utc_and_closes_at_17_utc():
    assert windows_of(date(2026, 11, 30)) == [(utc(2026, 11, 30, 8), utc(2026, 11, 30, 17))]


def test_summer_weekday_opens_at_7_utc_and_closes_at_16_utc():
    assert windows_of(date(2026, 6, 15)) == [(utc(2026, 6, 15, 7), utc(2026, 6, 15, 16))]


def test_weekend_is_closed_on_a_weekday_schedule():
    assert opening_windows([date(2026, 11, 28), date(2026, 11, 29)], ROME, WEEKDAYS_9_TO_18) == []


def test_october_change_friday_in_summer_time_monday_in_winter_time():
    # Clocks go back on Sunday 25 October 2026.
    windows = opening_windows(week_days("2026-W43") + week_days("2026-W44")[:1], ROME, WEEKDAYS_9_TO_18)
    assert (utc(2026, 10, 23, 7), utc(2026, 10, 23, 16)) in windows
    assert (utc(2026, 10, 26, 8), utc(2026, 10, 26, 17)) in windows


def test_october_change_sunday_opens_at_9_local_in_winter_time():
    assert windows_of(date(2026, 10, 25), EVERY_DAY_9_TO_18) == [(utc(2026, 10, 25, 8), utc(2026, 10, 25, 17))]
    assert windows_of(date(2026, 10, 24), EVERY_DAY_9_TO_18) == [(utc(2026, 10, 24, 7), utc(2026, 10, 24, 16))]


def test_march_change_friday_in_winter_time_monday_in_summer_time():
    # Clocks go forward on Sunday 29 March 2026.
    windows = opening_windows(week_days("2026-W13") + week_days("2026-W14")[:1], ROME, WEEKDAYS_9_TO_18)
    assert (utc(2026, 3, 27, 8), utc(2026, 3, 27, 17)) in windows
    assert (utc(2026, 3, 30, 7), utc(2026, 3, 30, 16)) in windows


def test_march_change_sunday_opens_at_9_local_in_summer_time():
    assert windows_of(date(2026, 3, 29), EVERY_DAY_9_TO_18) == [(utc(2026, 3, 29, 7), utc(2026, 3, 29, 16))]
    assert windows_of(date(2026, 3, 28), EVERY_DAY_9_TO_18) == [(utc(2026, 3, 28, 8), utc(2026, 3, 28, 17))]


def test_night_window_over_the_october_change_lasts_one_hour_more():
    # 01:00-04:00 on the wall clock of Sunday 25 October is four real hours.
    [(start, end)] = windows_of(date(2026, 10, 25), [(6, time(1), time(4))])
    assert (start, end) == (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert len(aligned_starts([(start, end)], LENGTH)) == 7


def test_night_window_over_the_march_change_lasts_one_hour_less():
    # 01:00-04:00 on the wall clock of Sunday 29 March is two real hours.
    [(start, end)] = windows_of(date(2026, 3, 29), [(6, time(1), time(4))])
    assert (start, end) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    assert len(aligned_starts([(start, end)], LENGTH)) == 3


def test_several_intervals_on_one_weekday_give_several_windows():
    weekly = [(0, time(9), time(13)), (0, time(14), time(18))]
    assert windows_of(date(2026, 11, 30), weekly) == [
        (utc(2026, 11, 30, 8), utc(2026, 11, 30, 12)),
        (utc(2026, 11, 30, 13), utc(2026, 11, 30, 17)),
    ]


# --- Holidays and closed days --------------------------------------------------------------------


def test_immacolata_8_december_is_closed_in_italy():
    week = week_days("2026-W50")  # Monday 7 to Sunday 13 December; the 8th is a Tuesday
    days_open = {start.date() for start, _end in opening_windows(week, ROME, WEEKDAYS_9_TO_18, country="IT")}
    assert days_open == {date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11)}


def test_8_december_is_open_in_a_country_without_immacolata():
    assert date(2026, 12, 8) not in public_holidays("FR", 2026)
    assert windows_of(date(2026, 12, 8), country="FR") == [(utc(2026, 12, 8, 8), utc(2026, 12, 8, 17))]


def test_christmas_is_closed_in_italy_but_not_in_japan():
    assert windows_of(date(2026, 12, 25), country="IT") == []
    assert windows_of(date(2026, 12, 25), country="JP") == [(utc(2026, 12, 25, 8), utc(2026, 12, 25, 17))]


def test_without_a_country_no_public_holiday_closes():
    assert windows_of(date(2026, 12, 8)) == [(utc(2026, 12, 8, 8), utc(2026, 12, 8, 17))]


def test_public_holidays_of_italy_include_immacolata_and_christmas():
    assert {date(2026, 12, 8), date(2026, 12, 25), date(2026, 12, 26)} <= public_holidays("IT", 2026)


def test_extra_closed_day_closes_only_that_day():
    week = week_days("2026-W49")
    windows = opening_windows(week, ROME, WEEKDAYS_9_TO_18, closed_days={date(2026, 12, 2)})
    assert sorted({start.date() for start, _end in windows}) == [
        date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)
    ]


# --- Dated openings and closures ----------------------------------------------------------------


def test_dated_opening_adds_a_saturday_morning():
    saturday = date(2026, 12, 5)
    openings = {saturday: [(time(9), time(13))]}
    windows = opening_windows(week_days("2026-W49") + week_days("2026-W50"), ROME, WEEKDAYS_9_TO_18,
                              openings=openings)
    saturdays = [(start, end) for start, end in windows if start.weekday() == 5]
    assert saturdays == [(utc(2026, 12, 5, 8), utc(2026, 12, 5, 12))]


def test_dated_opening_touching_the_weekly_interval_extends_it():
    monday = date(2026, 11, 30)
    windows = windows_of(monday, openings={monday: [(time(18), time(20))]})
    assert windows == [(utc(2026, 11, 30, 8), utc(2026, 11, 30, 19))]


def test_dated_opening_ending_before_it_starts_adds_nothing():
    saturday = date(2026, 12, 5)
    assert windows_of(saturday, openings={saturday: [(time(13), time(9))]}) == []


def test_whole_day_closure_removes_the_day():
    monday = date(2026, 11, 30)
    assert windows_of(monday, closures={monday: [(None, None)]}) == []


def test_whole_day_closure_removes_a_dated_opening_too():
    saturday = date(2026, 12, 5)
    assert windows_of(saturday, openings={saturday: [(time(9), time(13))]},
                      closures={saturday: [(None, None)]}) == []


def test_part_day_closure_splits_the_day():
    monday = date(2026, 11, 30)
    assert windows_of(monday, closures={monday: [(time(12), time(14))]}) == [
        (utc(2026, 11, 30, 8), utc(2026, 11, 30, 11)),
        (utc(2026, 11, 30, 13), utc(2026, 11, 30, 17)),
    ]


def test_closure_of_one_day_leaves_the_other_days():
    monday, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    windows = opening_windows([monday, tuesday], ROME, WEEKDAYS_9_TO_18, closures={monday: [(None, None)]})
    assert windows == [(utc(2026, 12, 1, 8), utc(2026, 12, 1, 17))]


# --- merge and subtract --------------------------------------------------------------------------


def test_merge_of_nothing_is_nothing():
    assert merge([]) == []


def test_merge_joins_touching_intervals():
    assert merge([(1, 2), (2, 3)]) == [(1, 3)]


def test_merge_joins_overlapping_and_contained_intervals_given_in_any_order():
    assert merge([(5, 9), (1, 4), (2, 3), (3, 6)]) == [(1, 9)]


def test_merge_keeps_apart_intervals_with_a_gap():
    assert merge([(4, 5), (1, 2)]) == [(1, 2), (4, 5)]


def test_subtract_nothing_keeps_the_windows():
    assert subtract([(1, 5), (7, 9)], []) == [(1, 5), (7, 9)]


def test_subtract_a_block_in_the_middle_splits_the_window():
    assert subtract([(1, 9)], [(3, 5)]) == [(1, 3), (5, 9)]


def test_subtract_a_block_covering_the_window_removes_it():
    assert subtract([(3, 5)], [(1, 9)]) == []
    assert subtract([(3, 5)], [(3, 5)]) == []


def test_subtract_a_block_only_touching_the_window_keeps_it():
    assert subtract([(3, 5)], [(1, 3), (5, 7)]) == [(3, 5)]


def test_subtract_blocks_overlapping_the_edges_trims_them():
    assert subtract([(3, 9)], [(1, 4), (8, 12)]) == [(4, 8)]


def test_subtract_several_blocks_from_several_windows():
    assert subtract([(0, 10), (20, 30)], [(2, 3), (9, 21), (25, 26)]) == [(0, 2), (3, 9), (21, 25), (26, 30)]


# --- The 30-minute grid ---------------------------------------------------------------------------

DAY = (utc(2026, 11, 26, 8), utc(2026, 11, 26, 17))  # Thursday 26 November, 09:00-18:00 in Rome


def test_starts_every_30_minutes_from_opening_and_the_last_meeting_ends_at_closing():
    starts = aligned_starts([DAY], LENGTH)
    assert starts[:3] == [utc(2026, 11, 26, 8), utc(2026, 11, 26, 8, 30), utc(2026, 11, 26, 9)]
    assert starts[-1] == utc(2026, 11, 26, 16)
    assert len(starts) == 17


def test_grid_starts_at_each_window_opening_not_at_the_full_hour():
    window = (utc(2026, 11, 26, 9, 15), utc(2026, 11, 26, 11))
    assert aligned_starts([window], LENGTH) == [utc(2026, 11, 26, 9, 15), utc(2026, 11, 26, 9, 45)]


def test_window_shorter_than_the_meeting_has_no_start():
    assert aligned_starts([(utc(2026, 11, 26, 8), utc(2026, 11, 26, 8, 59))], LENGTH) == []


def test_window_exactly_as_long_as_the_meeting_has_one_start():
    assert aligned_starts([(utc(2026, 11, 26, 8), utc(2026, 11, 26, 9))], LENGTH) == [utc(2026, 11, 26, 8)]


# --- Free slots -----------------------------------------------------------------------------------


def starts_of(slots):
    return [start for start, _end in slots]


def test_free_slots_are_meetings_of_the_campaign_length():
    slots = free_slots([DAY], [], [], length=LENGTH, buffer=BUFFER, earliest=utc(2026, 11, 1))
    assert slots[0] == (utc(2026, 11, 26, 8), utc(2026, 11, 26, 9))
    assert len(slots) == 17


def test_free_slots_start_only_after_the_cutoff_instant():
    # With 36 hours, "earliest" is now + 36 h: a slot exactly then is already refused by rule 1.
    earliest = utc(2026, 11, 26, 10)
    slots = free_slots([DAY], [], [], length=LENGTH, buffer=BUFFER, earliest=earliest)
    assert starts_of(slots)[0] == utc(2026, 11, 26, 10, 30)


def test_free_slots_skip_meetings_overlapping_an_unavailability_but_touching_it_is_fine():
    unavailable = [(utc(2026, 11, 26, 11), utc(2026, 11, 26, 12))]
    starts = starts_of(free_slots([DAY], [], unavailable, length=LENGTH, buffer=BUFFER, earliest=utc(2026, 11, 1)))
    assert utc(2026, 11, 26, 10) in starts  # ends at 11:00, when the unavailability begins
    for refused in (utc(2026, 11, 26, 10, 30), utc(2026, 11, 26, 11), utc(2026, 11, 26, 11, 30)):
        assert refused not in starts
    assert utc(2026, 11, 26, 12) in starts


def test_free_slots_keep_the_travel_buffer_before_an_existing_appointment():
    # An appointment 12:00-13:00 UTC with 30 minutes of buffer keeps the agent busy until 13:30.
    busy = [(utc(2026, 11, 26, 12), utc(2026, 11, 26, 13, 30))]
    starts = starts_of(free_slots([DAY], busy, [], length=LENGTH, buffer=BUFFER, earliest=utc(2026, 11, 1)))
    assert utc(2026, 11, 26, 10, 30) in starts  # 10:30-11:30 plus buffer ends exactly at 12:00
    for refused in (utc(2026, 11, 26, 11), utc(2026, 11, 26, 11, 30), utc(2026, 11, 26, 12), utc(2026, 11, 26, 13)):
        assert refused not in starts
    assert utc(2026, 11, 26, 13, 30) in starts  # exactly at busy_until


def test_free_slots_without_buffer_may_end_where_the_next_meeting_starts():
    busy = [(utc(2026, 11, 26, 12), utc(2026, 11, 26, 13))]
    starts = starts_of(free_slots([DAY], busy, [], length=LENGTH, buffer=timedelta(0), earliest=utc(2026, 11, 1)))
    assert utc(2026, 11, 26, 11) in starts
    assert utc(2026, 11, 26, 11, 30) not in starts


# --- Checks made when booking ---------------------------------------------------------------------


def test_start_on_the_grid_inside_the_window_is_in_schedule():
    check_in_schedule(utc(2026, 11, 26, 8), LENGTH, [DAY])
    check_in_schedule(utc(2026, 11, 26, 16), LENGTH, [DAY])


def test_start_off_the_grid_is_outside_schedule():
    assert refusal(check_in_schedule, utc(2026, 11, 26, 9, 15), LENGTH, [DAY]) == ("outside_schedule", "start")


def test_start_before_opening_is_outside_schedule():
    assert refusal(check_in_schedule, utc(2026, 11, 26, 7, 30), LENGTH, [DAY]) == ("outside_schedule", "start")


def test_meeting_ending_after_closing_is_outside_schedule():
    assert refusal(check_in_schedule, utc(2026, 11, 26, 16, 30), LENGTH, [DAY]) == ("outside_schedule", "start")


def test_start_on_a_public_holiday_is_outside_schedule():
    windows = opening_windows([date(2026, 12, 8)], ROME, WEEKDAYS_9_TO_18, country="IT")
    assert refusal(check_in_schedule, utc(2026, 12, 8, 9), LENGTH, windows) == ("outside_schedule", "start")


def test_start_given_in_another_zone_is_the_same_instant():
    check_in_schedule(datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo(ROME)), LENGTH, [DAY])


def test_meeting_overlapping_an_unavailability_is_refused():
    unavailable = [(utc(2026, 11, 26, 11), utc(2026, 11, 26, 12))]
    assert refusal(check_available, utc(2026, 11, 26, 10, 30), utc(2026, 11, 26, 11, 30), unavailable) == (
        "agent_unavailable", "start")


def test_meeting_touching_an_unavailability_is_available():
    unavailable = [(utc(2026, 11, 26, 11), utc(2026, 11, 26, 12))]
    check_available(utc(2026, 11, 26, 10), utc(2026, 11, 26, 11), unavailable)
    check_available(utc(2026, 11, 26, 12), utc(2026, 11, 26, 13), unavailable)


# --- ISO weeks ------------------------------------------------------------------------------------


def test_week_2026_w49_runs_from_monday_30_november_to_sunday_6_december():
    days = week_days("2026-W49")
    assert days == [date(2026, 11, 30) + timedelta(days=offset) for offset in range(7)]
    assert (days[0], days[-1]) == (date(2026, 11, 30), date(2026, 12, 6))


def test_2026_has_a_53rd_week_ending_on_3_january_2027():
    days = week_days("2026-W53")
    assert (days[0], days[-1]) == (date(2026, 12, 28), date(2027, 1, 3))
    assert iso_week(date(2027, 1, 3)) == "2026-W53"


def test_iso_week_names_the_week_of_a_day():
    assert iso_week(date(2026, 11, 26)) == "2026-W48"
    assert iso_week(date(2026, 1, 5)) == "2026-W02"


@pytest.mark.parametrize("week", ["2026-W60", "2026-W00", "2027-W53", "2026-49", "2026-W4", "2026-W049",
                                  " 2026-W49", "2026-W 9", "2026-W+9", "+026-W49", "2026-w49", "", None, 202649])
def test_malformed_or_impossible_week_is_a_validation_error_on_week(week):
    assert refusal(week_days, week) == ("validation_error", "week")
