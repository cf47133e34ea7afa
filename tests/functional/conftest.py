"""Helpers to drive the app as a browser (session + CSRF) or as an API client (Bearer token)."""
import pytest

from tests.factories import PASSWORD, Tenant, make_token


def login(testapp, user, password=PASSWORD):
    page = testapp.get("/login")
    form = page.forms[0]
    form["email"] = user.email
    form["password"] = password
    return form.submit(status=302)


def csrf_token(testapp):
    """The session's CSRF token, read from a page's logout form."""
    page = testapp.get("/password")
    return page.forms[0]["csrf_token"].value


class ApiClient:
    """JSON calls with a Bearer token, the way a dialer talks to /api/v1."""

    def __init__(self, testapp, secret):
        self.testapp = testapp
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path, status=200, **params):
        return self.testapp.get("/api/v1" + path, params=params, headers=self.headers, status=status)

    def post(self, path, body=None, status=201):
        return self.testapp.post_json("/api/v1" + path, body if body is not None else {}, headers=self.headers,
                                      status=status)

    def patch(self, path, body, status=200):
        return self.testapp.patch_json("/api/v1" + path, body, headers=self.headers, status=status)

    def delete(self, path, status=204):
        return self.testapp.delete("/api/v1" + path, headers=self.headers, status=status)


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


@pytest.fixture
def api(testapp, dbsession):
    """``api(user)`` returns an ApiClient authenticated as that user."""

    def for_user(user):
        return ApiClient(testapp, make_token(dbsession, user))

    return for_user
