"""Rule 13: the prospect's postal code, or else province, selects one zone."""
from types import SimpleNamespace

import pytest

from agents.routing import route_to_zone
from portal.errors import RuleViolation


def zone(id, name, postal_codes=(), provinces=()):
    return SimpleNamespace(id=id, name=name, postal_codes=list(postal_codes), provinces=list(provinces))


MILANO_CENTRO = zone(1, "Milano Centro", postal_codes=["20121", "20122"], provinces=["MI"])
MILANO = zone(2, "Milano", postal_codes=["201"])
TORINO = zone(3, "Torino", postal_codes=["10121"], provinces=["TO"])
LOMBARDIA = zone(4, "Lombardia", postal_codes=["2"], provinces=["BG", "BS"])
ZONES = [MILANO_CENTRO, MILANO, TORINO, LOMBARDIA]


def refused(zones, **prospect):
    with pytest.raises(RuleViolation) as error:
        route_to_zone(zones, **prospect)
    return error.value


def test_exact_postal_code_selects_its_zone():
    assert route_to_zone(ZONES, postal_code="10121") is TORINO


def test_prefix_covers_every_code_starting_with_it():
    assert route_to_zone(ZONES, postal_code="20159") is MILANO
    assert route_to_zone(ZONES, postal_code="24121") is LOMBARDIA


def test_longest_matching_entry_wins_whatever_the_order_of_zones():
    assert route_to_zone(ZONES, postal_code="20121") is MILANO_CENTRO
    assert route_to_zone(list(reversed(ZONES)), postal_code="20121") is MILANO_CENTRO


def test_postal_code_is_compared_without_surrounding_spaces():
    assert route_to_zone(ZONES, postal_code=" 20122 ") is MILANO_CENTRO


def test_postal_code_wins_over_province():
    assert route_to_zone(ZONES, postal_code="10121", province="MI") is TORINO


def test_province_decides_when_the_postal_code_matches_no_zone():
    assert route_to_zone(ZONES, postal_code="90121", province="TO") is TORINO


def test_province_alone_selects_its_zone_case_insensitively():
    assert route_to_zone(ZONES, province="bg") is LOMBARDIA
    assert route_to_zone(ZONES, province=" Mi ") is MILANO_CENTRO


def test_unknown_postal_code_is_a_validation_error_on_postal_code():
    violation = refused(ZONES, postal_code="90121")
    assert (violation.code, violation.field, violation.status) == ("validation_error", "postal_code", 400)


def test_unknown_postal_code_and_province_is_a_validation_error_on_postal_code():
    violation = refused(ZONES, postal_code="90121", province="PA")
    assert (violation.code, violation.field) == ("validation_error", "postal_code")


def test_unknown_province_alone_is_a_validation_error_on_province():
    violation = refused(ZONES, province="PA")
    assert (violation.code, violation.field) == ("validation_error", "province")


def test_nothing_given_is_a_validation_error_on_postal_code():
    violation = refused(ZONES)
    assert (violation.code, violation.field) == ("validation_error", "postal_code")


def test_client_without_zones_routes_nowhere():
    assert refused([], postal_code="20121").field == "postal_code"


def test_two_zones_with_the_same_code_are_ambiguous_and_both_are_named():
    east = zone(10, "Milano Est", postal_codes=["20121"])
    west = zone(11, "Milano Ovest", postal_codes=["20121"])
    violation = refused([east, west], postal_code="20121")
    assert (violation.code, violation.field) == ("validation_error", "postal_code")
    message = violation.message.interpolate()
    assert "Milano Est" in message and "Milano Ovest" in message


def test_two_zones_with_the_same_province_are_ambiguous():
    east = zone(10, "Milano Est", provinces=["MI"])
    west = zone(11, "Milano Ovest", provinces=["mi"])
    violation = refused([east, west], province="MI")
    assert (violation.code, violation.field) == ("validation_error", "province")
    assert "Milano Est, Milano Ovest" in violation.message.interpolate()


def test_one_zone_listing_a_code_and_its_prefix_is_not_ambiguous():
    both = zone(12, "Milano", postal_codes=["201", "20121"])
    assert route_to_zone([both], postal_code="20121") is both
