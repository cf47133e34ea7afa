"""A database that fails under a request (README "Bad input"): transient errors before the commit are retried
(pyramid_retry), and when the attempts are spent or the database cannot be reached the answer is a
coded 503 with Retry-After, for the API and for pages, never a 500."""
import pytest
import webtest
from pyramid.config import Configurator
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid_retry import IBeforeRetry
from sqlalchemy import text

from portal import DOMAIN_PACKAGES, make_app
from portal.api.plumbing import API_ROUTE
from portal.resources import Root
from tests.conftest import BASE_SETTINGS


def unreachable_url(backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/no-such-directory/portal.sqlite"
    return "postgresql+psycopg://root@127.0.0.1:1/portal"  # nothing listens on port 1


def count_retries(registry):
    retries = []
    registry.registerHandler(lambda event: retries.append(event.exception), (IBeforeRetry,))
    return retries


@pytest.fixture
def unreachable(backend, tmp_path, settings):
    app = make_app(dict(settings, **{"sqlalchemy.url": unreachable_url(backend, tmp_path)}))
    return app


def test_an_unreachable_database_answers_503_to_the_api_after_the_retries(unreachable):
    retries = count_retries(unreachable.registry)
    client = webtest.TestApp(unreachable, extra_environ={"HTTP_HOST": "localhost"})
    answer = client.get("/api/v1/clients", headers={"Authorization": "Bearer some-token", "Accept-Language": "en"},
                        status=503)
    assert answer.json == {"error": {"code": "service_unavailable", "field": None, "message":
                                     "The service is briefly unavailable: retry in a few seconds. "
                                     "Nothing of this request was saved."}}
    assert answer.headers["Retry-After"] == "5"
    assert len(retries) == 2  # retry.attempts = 3


def test_an_unreachable_database_answers_an_error_page_in_italian(unreachable):
    client = webtest.TestApp(unreachable, extra_environ={"HTTP_HOST": "localhost"})
    client.set_cookie("session", "x")
    page = client.get("/clients/demo/", status=503, headers={"Accept-Language": "it"})
    assert page.headers["Retry-After"] == "5"
    assert "service_unavailable" in page.text and "Il servizio" in page.text


# --- Real errors of PostgreSQL raised under a request -----------------------------------------------------

FAILURES = {"serialization": "40001", "deadlock": "40P01"}


def flaky(request):
    """Fails with a real SQLSTATE raised by PostgreSQL until the attempt named by ?succeed_at."""
    attempt = request.environ["retry.attempt"]
    request.dbsession.execute(text("CREATE TEMP TABLE IF NOT EXISTS flaky_marks (attempt int)"))
    if attempt < int(request.params.get("succeed_at", "99")):
        code = FAILURES[request.params["failure"]]
        request.dbsession.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'flaky' USING ERRCODE = '{code}'; END $$"))
    return {"attempt": attempt}


@pytest.fixture
def flaky_app(backend, settings, engine):
    if backend != "postgresql":
        pytest.skip("serialization failures and deadlocks are raised by PostgreSQL's SQLSTATEs")
    from sqlalchemy.orm import sessionmaker

    with Configurator(settings=dict(settings)) as config:
        config.registry["dbsession_factory"] = sessionmaker(bind=engine)
        config.include("portal")
        for package in DOMAIN_PACKAGES:
            config.include(package)
        config.add_view(flaky, context=Root, name="flaky", renderer="json", permission=NO_PERMISSION_REQUIRED)
        config.add_view(flaky, route_name=API_ROUTE, context=Root, name="flaky", renderer="json",
                        permission=NO_PERMISSION_REQUIRED)
        app = config.make_wsgi_app()
    return app


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_transient_error_before_the_commit_is_retried(flaky_app, failure):
    retries = count_retries(flaky_app.registry)
    client = webtest.TestApp(flaky_app, extra_environ={"HTTP_HOST": "localhost"})
    assert client.get(f"/api/v1/flaky?failure={failure}&succeed_at=2").json == {"attempt": 2}
    assert len(retries) == 2


def test_a_transient_error_on_every_attempt_is_a_503_for_the_api_and_for_pages(flaky_app):
    client = webtest.TestApp(flaky_app, extra_environ={"HTTP_HOST": "localhost"})
    answer = client.get("/api/v1/flaky?failure=deadlock", status=503)
    assert answer.json["error"]["code"] == "service_unavailable" and answer.headers["Retry-After"] == "5"
    page = client.get("/flaky?failure=serialization", status=503, headers={"Accept-Language": "en"})
    assert "service_unavailable" in page.text and "briefly unavailable" in page.text


# --- Connections killed while idle in the pool ----------------------------------------------------------------


def test_connections_killed_while_idle_cost_a_retry_not_an_error(backend, settings, engine):
    """The pool does not ping (a round trip per request): the first statement on a dead connection
    fails before anything is written, the pool drops its old connections and the request runs again."""
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    victim = f"portal-idle-victim-{id(engine)}"
    url = settings["sqlalchemy.url"] + ("&" if "?" in settings["sqlalchemy.url"] else "?") + \
        f"application_name={victim}"
    app = make_app(dict(settings, **{"sqlalchemy.url": url, "sqlalchemy.pool_pre_ping": "false"}))
    retries = count_retries(app.registry)
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})

    def read():  # traversal looks the client up (a statement), and nothing is written
        return client.get("/api/v1/clients/no-such-client", status=404)

    for _ in range(2):  # the pool now holds an idle connection
        read()
    with engine.connect() as connection:
        killed = connection.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         "WHERE application_name = :name"), {"name": victim}).scalar()
    assert killed >= 1 and not retries
    read()
    assert len(retries) == 1  # the dead connection's failure, then a new connection
    read()
    assert len(retries) == 1
