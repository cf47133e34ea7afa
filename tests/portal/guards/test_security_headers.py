"""Security headers on every answer: pages, static files, API answers and error answers (README "Signing in safely")."""
from pathlib import Path

import pytest
import webtest
from pyramid.paster import get_appsettings

from portal import make_app
from portal.guards.headers import hsts_max_age
from tests.functional.conftest import csrf_token, login
from tests.html_checks import CheckedTestApp, inline_script_problems

ROOT = Path(__file__).resolve().parents[3]
STATIC_FILES = ("/static/deform/scripts/bootstrap.bundle.min.js", "/static/portal/portal.js",
                "/static/portal/portal.css", "/static/callcenter/export-progress.js")


def assert_security_headers(response):
    headers = response.headers
    policy = dict(directive.strip().split(" ", 1) for directive in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # off in development and tests (plain http)


def assert_not_stored(response):
    assert response.headers["Cache-Control"] == "no-store"


# --- Pages -------------------------------------------------------------------------------------------


def test_the_login_page_carries_the_headers_and_is_not_stored(testapp):
    page = testapp.get("/login")
    assert_security_headers(page)
    assert_not_stored(page)  # it sets the session cookie (CSRF token)


def test_a_signed_in_page_is_never_stored(testapp, tenant):
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert_security_headers(page)
    assert_not_stored(page)


def test_the_redirect_after_login_carries_the_headers(testapp, tenant):
    redirect = login(testapp, tenant.client_user)
    assert_security_headers(redirect)
    assert_not_stored(redirect)


@pytest.mark.parametrize("path", STATIC_FILES)
def test_static_files_carry_the_headers_and_stay_cacheable(testapp, tenant, path):
    login(testapp, tenant.client_user)  # signed in or not, the same public file
    response = testapp.get(path)
    assert_security_headers(response)
    assert "no-store" not in response.headers["Cache-Control"]
    assert "max-age=3600" in response.headers["Cache-Control"]


def test_the_layout_loads_its_scripts_from_static_files_only(testapp, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/steps/1/summary")
    sources = [script["src"] for script in page.html.select("script")]
    assert sources == ["http://localhost/static/deform/scripts/bootstrap.bundle.min.js",
                       "http://localhost/static/portal/portal.js", "http://localhost/static/portal/forms.js"]
    assert page.html.select_one("button[data-print]") is not None  # printed by portal.js, not onclick


# --- Error answers of pages --------------------------------------------------------------------------


def test_a_404_page_carries_the_headers(testapp):
    assert_security_headers(testapp.get("/no-such-page", status=404))


def test_a_403_page_carries_the_headers(testapp, tenant):
    login(testapp, tenant.client_user)
    response = testapp.get("/callcenter/", status=403)
    assert_security_headers(response)
    assert_not_stored(response)


def test_a_refused_login_400_carries_the_headers(testapp, tenant):
    form = testapp.get("/login").forms[0]
    form["email"], form["password"] = tenant.client_user.email, "wrong password!"
    response = form.submit(status=400)
    assert_security_headers(response)


def test_a_form_without_its_csrf_token_403_carries_the_headers(testapp, tenant):
    login(testapp, tenant.client_user)
    csrf_token(testapp)
    response = testapp.post("/password", {"current_password": "x"}, status=403)
    assert_security_headers(response)


# --- API ---------------------------------------------------------------------------------------------


def test_an_api_answer_with_personal_data_is_never_stored(api, tenant):
    response = api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments")
    assert_security_headers(response)
    assert_not_stored(response)


def test_the_openapi_document_carries_the_headers(testapp):
    response = testapp.get("/api/v1/openapi.json")
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path, status", [("/clients/", 401), ("/clients/no-such-client", 404)])
def test_api_errors_without_a_login_carry_the_headers(testapp, path, status):
    assert_security_headers(testapp.get("/api/v1" + path, status=status))


def test_api_403_and_404_carry_the_headers(api, tenant):
    client = api(tenant.client_user)
    assert_not_stored(client.get("/callcenter/", status=403))
    assert_security_headers(client.get("/callcenter/", status=403))
    assert_security_headers(client.get(f"/clients/{tenant.client.slug}/appointments/999", status=404))


def test_an_api_400_carries_the_headers(testapp, api, tenant):
    client = api(tenant.account_manager)
    response = testapp.post(f"/api/v1/clients/{tenant.client.slug}/zones", "{not json",
                            headers={**client.headers, "Content-Type": "application/json"}, status=400)
    assert response.json["error"]["code"] == "validation_error"
    assert_security_headers(response)
    assert_not_stored(response)


# --- Strict-Transport-Security: an ini setting, on in production -------------------------------------


def test_strict_transport_security_when_the_ini_asks_for_it(settings, session_factory, clock):
    app = make_app({**settings, "portal.hsts_max_age": "31536000"}, dbsession_factory=session_factory)
    app.registry["clock"] = clock
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    for response in (client.get("/login"), client.get("/static/portal/portal.css"),
                     client.get("/api/v1/clients/", status=401)):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_production_ini_turns_strict_transport_security_on():
    production = get_appsettings(str(ROOT / "production.ini"))
    development = get_appsettings(str(ROOT / "development.ini"))
    assert hsts_max_age(production) >= 180 * 24 * 3600
    assert hsts_max_age(development) == 0


def test_a_malformed_hsts_setting_is_refused_at_start():
    with pytest.raises(ValueError, match="hsts_max_age"):
        hsts_max_age({"portal.hsts_max_age": "one year"})


# --- The inline-script check itself ------------------------------------------------------------------


@pytest.mark.parametrize("html, found", [
    ('<script src="/static/portal/portal.js"></script>', 0),
    ("<script>alert(1)</script>", 1),
    ('<button onclick="window.print()">x</button>', 1),
    ('<a href="javascript:void(0)">x</a>', 1),
    ('<p data-print title="onclick">onclick=</p>', 0),
])
def test_the_inline_script_check_finds_what_the_policy_blocks(html, found):
    assert len(inline_script_problems(html)) == found


def test_a_test_app_refuses_a_page_with_an_inline_script():
    def page_with_inline_script(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [b"<html><body><button onclick='go()'>Go</button></body></html>"]

    with pytest.raises(AssertionError, match="onclick"):
        CheckedTestApp(page_with_inline_script).get("/")
