"""Rule 14: a campaign's extra prospect fields are validated like the built-in ones, strictly."""
import json
from types import SimpleNamespace

import pytest

from campaigns.fields import validate_fields
from campaigns.models import CampaignField
from portal.errors import RuleViolation


def field(name, kind, required=False, choices=()):
    return CampaignField(name=name, label=name.title(), kind=kind, required=required, help_text="Ask the owner.",
                         choices=list(choices))


def campaign(*fields):
    return SimpleNamespace(fields=list(fields))


OPTIONAL = campaign(
    field("notes", "text"),
    field("windows", "number"),
    field("heating", "choice", choices=["gas", "wood", "heat pump"]),
    field("visit", "date"),
    field("owner", "yes_no"),
)


def refused(campaign, data):
    with pytest.raises(RuleViolation) as error:
        validate_fields(campaign, data)
    return error.value.code, error.value.field


@pytest.mark.parametrize("data, stored", [
    ({"notes": "Second floor, no lift"}, {"notes": "Second floor, no lift"}),
    ({"windows": 12}, {"windows": 12}),
    ({"windows": 2.5}, {"windows": 2.5}),
    ({"windows": 0}, {"windows": 0}),
    ({"heating": "heat pump"}, {"heating": "heat pump"}),
    ({"visit": "2026-02-28"}, {"visit": "2026-02-28"}),
    ({"visit": "2028-02-29"}, {"visit": "2028-02-29"}),
    ({"owner": True}, {"owner": True}),
    ({"owner": False}, {"owner": False}),
    ({"owner": "true"}, {"owner": True}),  # what the browser form sends
    ({"owner": "false"}, {"owner": False}),
])
def test_valid_value_of_each_kind_is_kept(data, stored):
    assert validate_fields(OPTIONAL, data) == stored


@pytest.mark.parametrize("data", [
    {"notes": 3},
    {"notes": {"text": "x"}},
    {"notes": ["x"]},
    {"notes": "x" * 501},
    {"windows": "3"},
    {"windows": True},
    {"windows": [3]},
    {"windows": float("nan")},
    {"windows": float("inf")},
    {"heating": "coal"},
    {"heating": "Gas"},
    {"heating": ["gas"]},
    {"visit": "2026-02-30"},
    {"visit": "30/01/2026"},
    {"visit": "2026-03-01T10:00:00"},
    {"visit": "20260301"},
    {"visit": 20260301},
    {"owner": "yes"},
    {"owner": 1},
    {"owner": 0},
    {"owner": "1"},
])
def test_wrong_value_is_refused_naming_the_field(data):
    [name] = data
    assert refused(OPTIONAL, data) == ("validation_error", f"fields.{name}")


def test_optional_fields_may_be_left_out():
    assert validate_fields(OPTIONAL, {}) == {}
    assert validate_fields(OPTIONAL, None) == {}


def test_optional_field_sent_empty_or_null_is_not_stored():
    assert validate_fields(OPTIONAL, {"notes": "", "windows": None, "owner": None}) == {}


@pytest.mark.parametrize("kind, value", [("text", "x"), ("number", 1), ("date", "2026-12-01"), ("yes_no", False)])
def test_required_field_missing_is_refused(kind, value):
    required = campaign(field("answer", kind, required=True, choices=["x"]))
    assert refused(required, {}) == ("validation_error", "fields.answer")
    assert refused(required, {"answer": None}) == ("validation_error", "fields.answer")
    assert validate_fields(required, {"answer": value}) == {"answer": value}


def test_required_text_sent_empty_is_refused():
    assert refused(campaign(field("answer", "text", required=True)), {"answer": ""}) == (
        "validation_error", "fields.answer")


def test_required_choice_must_be_one_of_the_choices():
    required = campaign(field("heating", "choice", required=True, choices=["gas", "wood"]))
    assert refused(required, {}) == ("validation_error", "fields.heating")
    assert validate_fields(required, {"heating": "wood"}) == {"heating": "wood"}


def test_yes_no_false_is_an_answer_not_a_missing_value():
    required = campaign(field("owner", "yes_no", required=True))
    assert validate_fields(required, {"owner": False}) == {"owner": False}


def test_unknown_field_is_refused_naming_it():
    assert refused(OPTIONAL, {"windows": 3, "colour": "red"}) == ("validation_error", "fields.colour")


def test_any_field_is_unknown_to_a_campaign_without_fields():
    assert refused(campaign(), {"notes": "x"}) == ("validation_error", "fields.notes")


def test_fields_that_are_not_an_object_are_refused():
    assert refused(OPTIONAL, ["notes"]) == ("validation_error", "fields")
    assert refused(OPTIONAL, "notes") == ("validation_error", "fields")


def test_first_wrong_field_by_name_is_named_when_several_are_wrong():
    assert refused(OPTIONAL, {"windows": "3", "owner": "yes"}) == ("validation_error", "fields.owner")


def test_refusal_message_stays_translatable():
    with pytest.raises(RuleViolation) as error:
        validate_fields(OPTIONAL, {"windows": "3"})
    message = error.value.message
    assert (message, message.domain, message.default) == ("number_expected", "portal", "A number is expected.")
    with pytest.raises(RuleViolation) as error:
        validate_fields(campaign(field("answer", "text", required=True)), {})
    assert (error.value.message, error.value.message.domain) == ("Required", "colander")


def test_stored_values_are_plain_json():
    values = validate_fields(OPTIONAL, {"notes": "Ring twice", "windows": 7, "heating": "gas",
                                        "visit": "2026-12-01", "owner": "true"})
    assert json.loads(json.dumps(values, allow_nan=False)) == {
        "notes": "Ring twice", "windows": 7, "heating": "gas", "visit": "2026-12-01", "owner": True}
