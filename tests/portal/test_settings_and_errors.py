"""Environment overrides (spec §11) and the coded error shape (spec §9)."""
import pytest

from portal.errors import STATUS_BY_CODE, RuleViolation
from portal.settings import apply_environment

INI = {"sqlalchemy.url": "sqlite:///ini.sqlite", "portal.redis_url": "redis://ini", "portal.secret": "ini"}


def test_environment_overrides_the_ini():
    settings = apply_environment(INI, {"PORTAL_DATABASE_URL": "postgresql://env", "PORTAL_SECRET": "env"})
    assert settings == {"sqlalchemy.url": "postgresql://env", "portal.redis_url": "redis://ini", "portal.secret": "env"}


def test_an_empty_redis_url_in_the_environment_means_jobs_in_process():
    assert apply_environment(INI, {"PORTAL_REDIS_URL": ""})["portal.redis_url"] == ""


def test_the_ini_stays_when_the_environment_is_silent():
    assert apply_environment(INI, {}) == INI


def test_error_shape_has_code_message_and_field():
    violation = RuleViolation("quota_exhausted", field="campaign")
    body = violation.as_json(lambda message: message.interpolate())
    assert body["error"]["code"] == "quota_exhausted"
    assert body["error"]["field"] == "campaign"
    assert "campaign" in body["error"]["message"]
    assert violation.status == 409


def test_every_code_of_the_spec_has_a_status():
    spec_codes = {"insertion_cutoff", "cancellation_window_closed", "reason_not_allowed", "notice_too_short",
                  "quota_exhausted", "slot_taken", "outside_schedule", "agent_unavailable", "hold_expired",
                  "slot_held", "validation_error", "unauthenticated", "forbidden", "not_found", "conflict"}
    spec_codes.add("template_invalid")  # §8: a mail template that does not render
    # README "Signing in safely": signing in safely
    spec_codes |= {"too_many_attempts", "password_too_common", "reset_link_invalid", "two_factor_invalid",
                   "two_factor_required"}
    spec_codes.add("webhook_url_forbidden")  # §9.2: a webhook pointed at the portal's own network
    spec_codes.add("service_unavailable")  # §10: the database failed and the request could not be retried
    spec_codes |= {"payload_too_large", "unsupported_media_type"}  # README "Bad input": a body too large, or not JSON
    assert spec_codes == set(STATUS_BY_CODE)
    assert all(400 <= status < 500 for code, status in STATUS_BY_CODE.items() if code != "service_unavailable")
    assert STATUS_BY_CODE["service_unavailable"] == 503


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError):
        RuleViolation("no_such_code")


@pytest.mark.parametrize("code", sorted(STATUS_BY_CODE))
def test_every_code_has_a_default_message(code):
    assert str(RuleViolation(code).message)
