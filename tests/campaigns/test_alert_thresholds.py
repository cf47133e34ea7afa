"""Rule 12's crossing, as a pure function."""
from campaigns.alerts import thresholds_crossed


def test_the_160th_of_200_crosses_80_percent():
    assert thresholds_crossed(159, 160, 200) == [80]


def test_no_threshold_between_crossings():
    assert thresholds_crossed(160, 161, 200) == []
    assert thresholds_crossed(178, 179, 200) == []


def test_the_last_place_crosses_100_percent():
    assert thresholds_crossed(199, 200, 200) == [100]


def test_one_booking_can_cross_two_thresholds_of_a_small_quota():
    assert thresholds_crossed(4, 5, 5) == [90, 100]


def test_nothing_is_crossed_without_a_quota():
    assert thresholds_crossed(0, 1, 0) == []


def test_the_campaigns_own_thresholds_are_used():
    assert thresholds_crossed(49, 50, 100, thresholds=(50, 75)) == [50]
