"""Every bad input gets a coded 4xx, never a 500 (README "Bad input"; spec §9, §10)."""
import json

import pytest

from tests.conftest import BODY_LIMIT
from tests.factories import make_token

BOOKING = {"start": "2026-11-26T10:00:00+01:00",
           "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}


@pytest.fixture
def bearer(dbsession, tenant):
    return {"Authorization": f"Bearer {make_token(dbsession, tenant.admin)}"}


@pytest.fixture
def book_url(tenant):
    return f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"


def error(response):
    assert response.content_type == "application/json"
    return response.json["error"]["code"], response.json["error"]["field"]


def post_raw(testapp, url, body, content_type, headers, status):
    return testapp.post(url, body, headers={**headers, "Content-Type": content_type}, status=status)


def test_multipart_without_boundary_is_refused_as_not_json(testapp, bearer, book_url):
    response = post_raw(testapp, book_url, b"x", "multipart/form-data", bearer, 415)
    assert error(response) == ("unsupported_media_type", None)


def test_multipart_without_boundary_on_a_form_is_a_400_page(testapp):
    response = testapp.post("/login", b"x", headers={"Content-Type": "multipart/form-data"}, status=400)
    assert response.content_type == "text/html" and "validation_error" in response.text


def test_a_lone_surrogate_in_a_booking_is_refused_with_its_field(testapp, bearer, book_url, tenant):
    body = {**BOOKING, "agent": tenant.agent.slug,
            "prospect": {**BOOKING["prospect"], "name": "Bar \ud800"}}
    # json.dumps writes the surrogate as the escape "\ud800": valid JSON, unencodable text.
    response = post_raw(testapp, book_url, json.dumps(body).encode(), "application/json", bearer, 400)
    assert error(response) == ("validation_error", "prospect.name")
    assert testapp.get(f"/api/v1/clients/{tenant.client.slug}/appointments", headers=bearer).json["items"] == []


def test_nul_in_a_json_key_or_value_is_refused(testapp, bearer, book_url, tenant):
    body = {**BOOKING, "agent": tenant.agent.slug, "notes": "a\x00b"}
    assert error(post_raw(testapp, book_url, json.dumps(body).encode(), "application/json", bearer, 400)) == (
        "validation_error", "notes")


def test_json_nested_a_thousand_levels_is_refused(testapp, bearer, book_url):
    body = ("[" * 1000 + "]" * 1000).encode()
    assert error(post_raw(testapp, book_url, body, "application/json", bearer, 400))[0] == "validation_error"
    body = ('{"a":' * 100 + "1" + "}" * 100).encode()
    assert error(post_raw(testapp, book_url, body, "application/json", bearer, 400))[0] == "validation_error"


def test_a_bogus_charset_is_refused(testapp, bearer, book_url):
    response = post_raw(testapp, book_url, b"{}", "application/json; charset=bogus", bearer, 415)
    assert error(response)[0] == "unsupported_media_type"
    post_raw(testapp, book_url, b"{}", "application/json; charset=latin-1", bearer, 415)


def test_a_body_that_is_not_utf8_or_not_json_is_refused(testapp, bearer, book_url):
    for body in (b'{"agent": "\xff"}', b"agent=rossi", b'{"a": NaN}', b'{"a": 1' + b"0" * 5000 + b"}"):
        assert error(post_raw(testapp, book_url, body, "application/json", bearer, 400))[0] == "validation_error"


def test_a_repeated_key_is_refused(testapp, bearer, book_url):
    response = post_raw(testapp, book_url, b'{"agent": "a", "agent": "b"}', "application/json", bearer, 400)
    assert error(response) == ("validation_error", "agent")


def test_a_body_over_the_limit_is_413(testapp, bearer, book_url):
    limit = BODY_LIMIT  # portal.max_body_bytes of the tests' settings
    response = post_raw(testapp, book_url, b" " * (limit + 1), "application/json", bearer, 413)
    assert error(response)[0] == "payload_too_large"
    assert str(limit) in response.json["error"]["message"]


def test_invalid_utf8_in_the_query_string_is_refused(testapp, bearer, tenant):
    url = f"/api/v1/clients/{tenant.client.slug}/appointments?q=%ED%A0%80"
    assert error(testapp.get(url, headers=bearer, status=400))[0] == "validation_error"
    url = f"/api/v1/clients/{tenant.client.slug}/appointments?q=a%00b"
    assert error(testapp.get(url, headers=bearer, status=400)) == ("validation_error", "q")
    testapp.get(f"/clients/{tenant.client.slug}/?q=%FF", status=400)


@pytest.mark.parametrize("path", ["/api/v1/clients/%FF", "/api/v1/clients/%ED%A0%80", "/api/v1/clients/a%0Ab",
                                  "/api/v1/clients/a%00b"])
def test_a_path_that_names_nothing_is_404_json(testapp, bearer, path):
    assert error(testapp.get(path, headers=bearer, status=404))[0] == "not_found"


def test_numbers_beyond_bigint_in_a_path_are_404(testapp, bearer, tenant):
    url = f"/api/v1/clients/{tenant.client.slug}/appointments/99999999999999999999999"
    assert error(testapp.get(url, headers=bearer, status=404))[0] == "not_found"


def test_a_page_form_with_nul_or_bad_utf8_is_a_400_page(testapp):
    testapp.post("/login", {"email": "a\x00@example.test", "password": "x"}, status=400)
    testapp.post("/login", b"email=%FF", headers={"Content-Type": "application/x-www-form-urlencoded"}, status=400)


def test_the_refusal_speaks_the_callers_language(testapp, bearer, book_url):
    english = post_raw(testapp, book_url, b"{", "application/json", {**bearer, "Accept-Language": "en"}, 400)
    italian = post_raw(testapp, book_url, b"{", "application/json", {**bearer, "Accept-Language": "it"}, 400)
    assert english.json["error"]["message"] == "The body is not valid JSON."
    assert italian.json["error"]["message"] != english.json["error"]["message"]


# --- reference values, ranges, the appointment's life -----------------------------------------------


def test_a_country_whose_holidays_are_unknown_is_refused(testapp, bearer, tenant):
    for body in ({"slug": "zeta", "name": "Zeta", "country": "ZZ"}, {"slug": "zeta", "name": "Zeta", "country": "it"}):
        assert error(testapp.post_json("/api/v1/clients", body, headers=bearer, status=400)) == (
            "validation_error", "country")
    url = f"/api/v1/clients/{tenant.client.slug}"
    assert error(testapp.patch_json(url, {"country": "ZZ"}, headers=bearer, status=400)) == ("validation_error",
                                                                                            "country")
    assert testapp.post_json("/api/v1/clients", {"slug": "swiss", "name": "Swiss", "country": "CH"},
                             headers=bearer, status=201).json["country"] == "CH"


def test_a_client_saved_with_an_unknown_country_gets_a_409_not_a_500(testapp, bearer, tenant, dbsession):
    """A country stored before it was checked: the calendar operations refuse, naming the field to fix."""
    tenant.client.country = "ZZ"
    dbsession.flush()
    campaign = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"
    slots = testapp.get(campaign + "/slots", {"postal_code": "20121", "week": "2026-W48"}, headers=bearer,
                        status=409)
    assert error(slots) == ("conflict", "country") and "ZZ" in slots.json["error"]["message"]
    slot = {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00"}
    assert error(testapp.post_json(campaign + "/holds", slot, headers=bearer, status=409)) == ("conflict", "country")
    assert error(testapp.post_json(campaign + "/appointments", {**BOOKING, **slot}, headers=bearer,
                                   status=409)) == ("conflict", "country")


@pytest.mark.parametrize("start, end", [("0006-01-01T10:00:00+01:00", "0006-01-02T10:00:00+01:00"),
                                        ("1800-01-01T10:00:00+01:00", "1800-01-02T10:00:00+01:00"),
                                        ("2026-12-14T09:00:00+01:00", "2100-01-01T00:00:00+00:00"),
                                        ("2026-12-14T09:00:00", "2026-12-14T10:00:00")])
def test_unavailabilities_out_of_range_or_without_offset_are_refused(testapp, bearer, tenant, start, end):
    """Year 6 or 1800 came back with Rome's local mean time, +00:49:56, which ISO 8601 cannot write."""
    url = f"/api/v1/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/unavailabilities"
    response = testapp.post_json(url, {"start": start, "end": end}, headers=bearer, status=400)
    assert error(response)[0] == "validation_error" and error(response)[1] in ("start", "end")


def test_dates_of_steps_and_closed_days_out_of_range_are_refused(testapp, bearer, tenant):
    client = f"/api/v1/clients/{tenant.client.slug}"
    assert error(testapp.post_json(client + "/closed-days", {"day": "9999-12-31"}, headers=bearer,
                                   status=400)) == ("validation_error", "day")
    assert error(testapp.post_json(client + f"/campaigns/{tenant.campaign.slug}/steps",
                                   {"quantity": 1, "valid_to": "0001-01-01"}, headers=bearer,
                                   status=400)) == ("validation_error", "valid_to")


def test_disowning_after_the_window_is_a_documented_422(testapp, dbsession, tenant, clock):
    from datetime import timedelta

    from portal.api.openapi import load_document
    from tests.conftest import NOW
    from tests.functional.test_openapi import response_validator

    operator = {"Authorization": f"Bearer {make_token(dbsession, tenant.operator)}"}
    booked = testapp.post_json(f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments",
                               {**BOOKING, "agent": tenant.agent.slug}, headers=operator, status=201).json
    clock.now = NOW + timedelta(days=7)  # Monday 30: the window of Thursday 26 closed on Saturday night
    path = "/clients/{client}/appointments/{number}/confirmation-call"
    response = testapp.post_json("/api/v1" + path.format(client=tenant.client.slug, number=booked["number"]),
                                 {"result": "disowned"}, headers=operator, status=422)
    assert error(response)[0] == "cancellation_window_closed"
    response_validator(load_document(), "post", path, 422).validate(response.json)
    assert "cancellation_window_closed" in load_document()["components"]["responses"]["ConfirmationCallRefused"][
        "description"]


def test_a_json_number_past_the_integer_columns_is_refused_before_the_database(testapp, bearer, book_url, tenant):
    body = {**BOOKING, "agent": tenant.agent.slug, "hold": 2**63}
    assert error(testapp.post_json(book_url, body, headers=bearer, status=400)) == ("validation_error", "hold")
    steps = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/steps"
    assert error(testapp.post_json(steps, {"quantity": 10**30}, headers=bearer, status=400)) == (
        "validation_error", "quantity")
