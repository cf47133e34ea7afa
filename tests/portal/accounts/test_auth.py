"""Logging in and out, changing the password, and CSRF on every state-changing POST (spec §3)."""
from urllib.parse import parse_qs, urlsplit

import pytest
import webtest
from sqlalchemy import func, select

from callcenter.booking.models import Hold
from portal.accounts.models import LoginSession
from tests.factories import PASSWORD
from tests.functional.conftest import csrf_token, login
from tests.helpers import appointment_count, field_error, form_error

NEW_PASSWORD = "a brand new passphrase"
BOOKING = {"agent": None, "start": "2026-11-26T10:00:00+01:00",
           "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}


def browser(app):
    """A second, independent browser on the same app."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "it"})


def submit_login(testapp, email, password, url="/login", status=None):
    form = testapp.get(url).forms["deform"]
    form["email"] = email
    form["password"] = password
    return form.submit(status=status)


def is_logged_in(testapp):
    """/password is open to every logged-in user; anonymous visitors are sent to the login page."""
    return testapp.get("/password", status=(200, 302)).status_int == 200


def folder_url(tenant):
    return f"http://localhost/clients/{tenant.client.slug}/"


def same_page(location, url):
    """Folder URLs are equal with or without their trailing slash."""
    return location.rstrip("/") == url.rstrip("/")


def home_of(tenant, role):
    slug = tenant.client.slug
    return {
        "client": f"http://localhost/clients/{slug}/",
        "zone_manager": f"http://localhost/clients/{slug}/zones/{tenant.zone.slug}/",
        "agent": f"http://localhost/clients/{slug}/agents/{tenant.agent.slug}/",
        "operator": "http://localhost/callcenter/",
        "account_manager": "http://localhost/dashboard/",
        "admin": "http://localhost/dashboard/",
    }[role]


ROLES = ("client", "zone_manager", "agent", "operator", "account_manager", "admin")


# --- Logging in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_login_by_email_in_any_case_lands_on_the_role_home(testapp, tenant, role):
    user = tenant.user(role)
    response = submit_login(testapp, user.email.upper(), PASSWORD, status=302)
    assert same_page(response.location, home_of(tenant, role))
    assert same_page(testapp.get("/", status=302).location, home_of(tenant, role))
    response.follow(status=200)


def test_wrong_password_and_unknown_email_get_the_same_refusal_and_no_session(testapp, tenant):
    wrong_password = submit_login(testapp, tenant.client_user.email, "not the password", status=400)
    unknown_email = submit_login(testapp, "nobody@example.test", PASSWORD, status=400)
    assert form_error(wrong_password) == form_error(unknown_email)
    assert form_error(wrong_password)
    assert not is_logged_in(testapp)
    testapp.get(folder_url(tenant), status=302)


def test_inactive_user_cannot_log_in(testapp, tenant, dbsession):
    tenant.client_user.active = False
    dbsession.flush()
    refused = submit_login(testapp, tenant.client_user.email, PASSWORD, status=400)
    assert form_error(refused) == form_error(submit_login(testapp, "nobody@example.test", PASSWORD, status=400))
    assert not is_logged_in(testapp)


def test_a_deactivated_user_loses_the_open_session(testapp, tenant, dbsession):
    login(testapp, tenant.client_user)
    tenant.client_user.active = False
    dbsession.flush()
    assert testapp.get(folder_url(tenant), status=302).location.startswith("http://localhost/login")


# --- Logging out ---------------------------------------------------------------------------------


def test_logout_is_a_post_with_csrf_that_ends_the_session(testapp, tenant):
    login(testapp, tenant.client_user)
    response = testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)
    assert response.location == "http://localhost/login"
    assert not is_logged_in(testapp)
    testapp.get(folder_url(tenant), status=302)


def test_a_cookie_copied_before_logout_is_worth_nothing_after_it(testapp, tenant, app):
    login(testapp, tenant.client_user)
    thief = browser(app)
    thief.set_cookie("portal_session", testapp.cookies["portal_session"])
    assert is_logged_in(thief)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)
    assert thief.get(folder_url(tenant), status=302).location.startswith("http://localhost/login")
    assert not is_logged_in(thief)


def test_logging_out_ends_only_that_session(testapp, tenant, app):
    other_browser = browser(app)
    login(other_browser, tenant.client_user)
    login(testapp, tenant.client_user)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)
    assert is_logged_in(other_browser)


def test_a_login_keeps_one_row_and_clears_the_ended_ones(testapp, tenant, dbsession):
    rows = select(func.count()).select_from(LoginSession).where(LoginSession.user_id == tenant.client_user.id)
    for _ in range(3):
        login(testapp, tenant.client_user)
        testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)
    login(testapp, tenant.client_user)
    assert dbsession.execute(rows).scalar_one() == 1


def test_logout_by_get_does_not_end_the_session(testapp, tenant):
    login(testapp, tenant.client_user)
    testapp.get("/logout", status=404)
    assert is_logged_in(testapp)


# --- Anonymous visitors and came_from ------------------------------------------------------------


def test_anonymous_visitor_of_a_folder_is_sent_to_login_and_back(testapp, tenant):
    redirect = testapp.get(f"/clients/{tenant.client.slug}/", status=302)
    parts = urlsplit(redirect.location)
    assert (parts.netloc, parts.path) == ("localhost", "/login")
    assert parse_qs(parts.query) == {"came_from": [folder_url(tenant)]}
    form = redirect.follow().forms["deform"]
    form["email"] = tenant.client_user.email
    form["password"] = PASSWORD
    assert form.submit(status=302).location == folder_url(tenant)


@pytest.mark.parametrize("came_from", [
    "http://evil.example/steal",
    "//evil.example/steal",
    "http://localhost.evil.example/steal",
    "http://localhost@evil.example/steal",
])
def test_came_from_pointing_to_another_host_is_ignored(testapp, tenant, came_from):
    page = testapp.get("/login", params={"came_from": came_from})
    form = page.forms["deform"]
    form["email"] = tenant.client_user.email
    form["password"] = PASSWORD
    assert same_page(form.submit(status=302).location, folder_url(tenant))


# --- Changing the password -----------------------------------------------------------------------


def change_password(testapp, current, new, confirm=None, status=None):
    form = testapp.get("/password").forms["deform"]
    form["current_password"] = current
    form["new_password"] = new
    form["confirm_password"] = new if confirm is None else confirm
    return form.submit(status=status)


def test_wrong_current_password_is_refused_next_to_the_field(testapp, tenant, app):
    login(testapp, tenant.client_user)
    refused = change_password(testapp, "not the password", NEW_PASSWORD, status=400)
    assert field_error(refused, "current_password")
    assert field_error(refused, "new_password") is None
    assert submit_login(browser(app), tenant.client_user.email, PASSWORD).status_int == 302


def test_too_short_new_password_rerenders_with_the_error(testapp, tenant, app):
    login(testapp, tenant.client_user)
    refused = change_password(testapp, PASSWORD, "short", status=400)
    assert field_error(refused, "new_password")
    assert submit_login(browser(app), tenant.client_user.email, PASSWORD).status_int == 302


def test_mismatching_confirmation_rerenders_with_the_error(testapp, tenant, app):
    login(testapp, tenant.client_user)
    refused = change_password(testapp, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "!", status=400)
    assert field_error(refused, "confirm_password")
    assert submit_login(browser(app), tenant.client_user.email, PASSWORD).status_int == 302


def test_changed_password_is_the_only_one_that_logs_in(testapp, tenant, app):
    login(testapp, tenant.client_user)
    change_password(testapp, PASSWORD, NEW_PASSWORD, status=302)
    assert is_logged_in(testapp)
    submit_login(browser(app), tenant.client_user.email, PASSWORD, status=400)
    fresh = browser(app)
    assert same_page(submit_login(fresh, tenant.client_user.email, NEW_PASSWORD, status=302).location,
                     folder_url(tenant))


def test_changing_the_password_ends_the_other_sessions_of_the_user(testapp, tenant, app):
    other_browser = browser(app)
    login(other_browser, tenant.client_user)
    colleague = browser(app)
    login(colleague, tenant.zone_manager)
    login(testapp, tenant.client_user)
    change_password(testapp, PASSWORD, NEW_PASSWORD, status=302)
    assert testapp.get(folder_url(tenant), status=200)
    assert other_browser.get(folder_url(tenant), status=302).location.startswith("http://localhost/login")
    assert is_logged_in(colleague)


# --- CSRF on browser forms -----------------------------------------------------------------------

CSRF_CASES = {"missing": None, "wrong": "0" * 32}


def without_valid_csrf(form, case):
    """The form's fields as a POST body, with the token left out or replaced."""
    fields = dict(form.submit_fields())
    if CSRF_CASES[case] is None:
        del fields["csrf_token"]
    else:
        fields["csrf_token"] = CSRF_CASES[case]
    return fields


@pytest.mark.parametrize("case", CSRF_CASES)
def test_login_without_a_valid_csrf_token_is_refused(testapp, tenant, case):
    form = testapp.get("/login").forms["deform"]
    form["email"] = tenant.client_user.email
    form["password"] = PASSWORD
    testapp.post("/login", without_valid_csrf(form, case), status=403)
    assert not is_logged_in(testapp)


@pytest.mark.parametrize("case", CSRF_CASES)
def test_logout_without_a_valid_csrf_token_is_refused(testapp, tenant, case):
    login(testapp, tenant.client_user)
    body = {} if CSRF_CASES[case] is None else {"csrf_token": CSRF_CASES[case]}
    testapp.post("/logout", body, status=403)
    assert is_logged_in(testapp)


@pytest.mark.parametrize("case", CSRF_CASES)
def test_password_change_without_a_valid_csrf_token_is_refused(testapp, tenant, app, case):
    login(testapp, tenant.client_user)
    form = testapp.get("/password").forms["deform"]
    form["current_password"] = PASSWORD
    form["new_password"] = form["confirm_password"] = NEW_PASSWORD
    testapp.post("/password", without_valid_csrf(form, case), status=403)
    assert is_logged_in(testapp)
    submit_login(browser(app), tenant.client_user.email, NEW_PASSWORD, status=400)
    submit_login(browser(app), tenant.client_user.email, PASSWORD, status=302)


@pytest.mark.parametrize("case", CSRF_CASES)
def test_holding_a_slot_without_a_valid_csrf_token_is_refused(testapp, tenant, dbsession, case):
    login(testapp, tenant.operator)
    url = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/book"
    form = testapp.get(url, params={"postal_code": "20121", "week": "2026-W48"}).forms[f"hold-{tenant.agent.slug}"]
    body = dict(without_valid_csrf(form, case), start="2026-11-26T10:00:00+01:00")
    testapp.post(url, body, status=403)
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 0


@pytest.mark.parametrize("case", CSRF_CASES)
def test_booking_form_without_a_valid_csrf_token_is_refused(testapp, tenant, dbsession, case):
    login(testapp, tenant.operator)
    url = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/book"
    grid = testapp.get(url, params={"postal_code": "20121", "week": "2026-W48"})
    step3 = grid.forms[f"hold-{tenant.agent.slug}"].submit("start", value="2026-11-26T10:00:00+01:00").follow()
    form = step3.forms["deform"]
    form["prospect_name"] = "Bar Centrale"
    form["prospect_phone"] = "+39 02 1234567"
    testapp.post(step3.request.url, without_valid_csrf(form, case), status=403)
    assert appointment_count(dbsession) == 0
    dbsession.refresh(tenant.campaign)
    assert tenant.campaign.taken == 0


# --- CSRF on the API -----------------------------------------------------------------------------


def booking_body(tenant):
    return dict(BOOKING, agent=tenant.agent.slug)


def booking_api_path(tenant):
    return f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"


def test_api_post_with_a_session_cookie_needs_the_csrf_header(testapp, tenant, dbsession):
    login(testapp, tenant.operator)
    refused = testapp.post_json(booking_api_path(tenant), booking_body(tenant), status=403)
    assert refused.json["error"]["code"] == "forbidden"
    assert appointment_count(dbsession) == 0
    wrong = testapp.post_json(booking_api_path(tenant), booking_body(tenant), headers={"X-CSRF-Token": "0" * 32},
                              status=403)
    assert wrong.json["error"]["code"] == "forbidden"
    assert appointment_count(dbsession) == 0


def test_api_post_with_a_session_cookie_and_the_csrf_header_works(testapp, tenant, dbsession):
    login(testapp, tenant.operator)
    headers = {"X-CSRF-Token": csrf_token(testapp)}
    created = testapp.post_json(booking_api_path(tenant), booking_body(tenant), headers=headers, status=201)
    assert created.json["number"] == 1
    assert appointment_count(dbsession) == 1


def test_api_post_with_a_bearer_token_needs_no_csrf_token(api, tenant, dbsession):
    created = api(tenant.operator).post(
        f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments", booking_body(tenant)
    )
    assert created.json["number"] == 1
    assert appointment_count(dbsession) == 1
