"""Burn rate, forecast and burn-down of the dashboard: worked examples (spec §6)."""
from datetime import date, datetime, timezone

from campaigns.burn import burn_down, burn_rate, chart_path, forecast_exhaustion, local_midnights

UTC = timezone.utc
MONDAY = date(2026, 11, 23)


def test_21_bookings_in_7_days_burn_3_a_day():
    assert burn_rate(21, 7) == 3


def test_no_bookings_burn_nothing():
    assert burn_rate(0, 28) == 0


def test_11_places_left_at_one_a_day_run_out_in_11_days():
    assert forecast_exhaustion(MONDAY, purchased=200, taken=189, rate=1) == date(2026, 12, 4)


def test_a_part_of_a_day_counts_as_the_day_the_last_place_goes():
    # 11 places at 2.5 a day: 4.4 days, the last one on the fifth day.
    assert forecast_exhaustion(MONDAY, purchased=200, taken=189, rate=2.5) == date(2026, 11, 28)


def test_an_exact_number_of_days_is_that_day():
    # 10 places at 10 bookings in 28 days: 28 days, not 29 for a rounding of the division.
    assert forecast_exhaustion(MONDAY, purchased=30, taken=20, rate=10 / 28) == date(2026, 12, 21)
    assert forecast_exhaustion(MONDAY, purchased=30, taken=20, rate=5) == date(2026, 11, 25)


def test_without_bookings_there_is_no_forecast():
    assert forecast_exhaustion(MONDAY, purchased=200, taken=189, rate=0) is None


def test_a_full_campaign_ran_out_today():
    assert forecast_exhaustion(MONDAY, purchased=200, taken=200, rate=0) == MONDAY


def test_local_days_last_23_or_25_hours_across_the_dst_changes():
    autumn = local_midnights(date(2026, 10, 26), 2, "Europe/Rome")
    assert autumn == [datetime(2026, 10, 23, 22, tzinfo=UTC), datetime(2026, 10, 24, 22, tzinfo=UTC),
                      datetime(2026, 10, 25, 23, tzinfo=UTC)]  # Sunday 25 October lasted 25 hours
    spring = local_midnights(date(2027, 3, 29), 2, "Europe/Rome")
    assert spring == [datetime(2027, 3, 26, 23, tzinfo=UTC), datetime(2027, 3, 27, 23, tzinfo=UTC),
                      datetime(2027, 3, 28, 22, tzinfo=UTC)]  # Sunday 28 March lasted 23 hours


def test_the_burn_down_goes_back_from_the_places_left_now():
    # 5 left now, 1 booked today, 2 yesterday, 3 the day before.
    assert burn_down(5, [3, 2], 1) == [11, 8, 6, 5]


def test_the_chart_spreads_the_points_and_puts_zero_at_the_bottom():
    assert chart_path([10, 5, 0], width=100, height=40) == "0.0,0.0 50.0,20.0 100.0,40.0"
    assert chart_path([5, 5], width=100, height=40, top=10) == "0.0,20.0 100.0,20.0"
