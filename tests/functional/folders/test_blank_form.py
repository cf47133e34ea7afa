"""The folder's unavailability form is rendered once per language, action and notice permission: each
page still carries its own session's CSRF token, and the override field only for who may use it."""
from tests.factories import Tenant
from tests.functional.conftest import login
from tests.html_checks import CheckedTestApp


def form_of(page):
    form = page.html.select_one("#unavailability-form")
    logout = page.html.select_one('form[action$="/logout"] input[name="csrf_token"]')["value"]
    return form, logout


def test_each_session_gets_its_token_and_only_who_may_override_the_field(app, dbsession):
    tenant = Tenant(dbsession)
    url = f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/"
    seen = {}
    for role in ("account_manager", "client", "account_manager"):
        browser = CheckedTestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "it"})
        login(browser, tenant.user(role))
        form, token = form_of(browser.get(url))
        assert form.select_one('input[name="csrf_token"]')["value"] == token
        assert (form.select_one('[name="override"]') is not None) == (role == "account_manager")
        seen.setdefault(role, set()).add(token)
    assert len(seen["account_manager"]) == 2  # two sessions, two tokens, one cached form
