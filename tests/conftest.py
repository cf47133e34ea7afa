"""One database per backend per test session; each test runs in a transaction rolled back at the end.

The schema is built by the Alembic migrations (the app never calls create_all).
Backends: PORTAL_TEST_DATABASES=sqlite,postgresql (default both);
PostgreSQL server: PORTAL_TEST_POSTGRES_URL (default postgresql+psycopg://root@127.0.0.1:5432/).
"""
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import sessionmaker

from portal import make_app
from portal.db import engine_from_settings
from portal.jobs.outbox import JobContext, set_context
from tests.html_checks import CheckedTestApp

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = [name.strip() for name in os.environ.get("PORTAL_TEST_DATABASES", "sqlite,postgresql").split(",")]
POSTGRES_SERVER = os.environ.get("PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/")
# One database per pytest-xdist worker, so that parallel workers never share one.
TEST_DATABASE = os.environ.get("PORTAL_TEST_DB_NAME", "portal_test") + os.environ.get("PYTEST_XDIST_WORKER", "")
# A fixed "now" for tests: Monday 23 November 2026, 09:00 in Rome.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

BASE_SETTINGS = {
    "portal.secret": "test-secret",
    "portal.encryption_keys": "QS0ggDz_oPphShCcEWk2fWzyqRgrWqqaXAfAX21JBww=",
    "portal.redis_url": "",
    "pyramid.default_locale_name": "it",
    "retry.attempts": "3",
    "mail.queue_path": "",
    # Tests move the clock by hours and days while logged in; the sessions' real limits are tested
    # in tests/portal/accounts/test_signin_security.py, which sets them.
    "portal.session_idle_minutes": str(365 * 24 * 60),
    "portal.session_lifetime_hours": str(365 * 24),
    "portal.max_body_bytes": "1000000",
    # The suite's one engine outlives tests that kill every connection of its database; the portal's
    # own setting (no ping) is tested apart, in tests/portal/guards/test_database_faults.py.
    "sqlalchemy.pool_pre_ping": "true",
}
BODY_LIMIT = 1_000_000


def alembic_config():
    config = Config(str(ROOT / "development.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def migrate(engine, revision="head"):
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def fresh_postgres_database(name):
    admin = sa.create_engine(POSTGRES_SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return POSTGRES_SERVER + name


def database_url(backend, tmp_path_factory, name=TEST_DATABASE):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.sqlite')}"
    return fresh_postgres_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def settings(backend, tmp_path_factory):
    settings = dict(BASE_SETTINGS)
    settings["sqlalchemy.url"] = database_url(backend, tmp_path_factory)
    settings["mail.queue_path"] = str(tmp_path_factory.mktemp("mail") / "maildir")  # a maildir the tests read
    settings["portal.export_dir"] = str(tmp_path_factory.mktemp("exports"))
    return settings


@pytest.fixture(scope="session")
def engine(settings):
    engine = engine_from_settings(settings)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    """The test's connection; everything done through it is rolled back afterwards."""
    connection = engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture
def session_factory(connection):
    # Sessions commit to a SAVEPOINT, so the app's commits stay inside the test's transaction.
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def dbsession(session_factory):
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def clock():
    """The app's clock: tests move ``clock.now``."""

    class Clock:
        now = NOW

        def __call__(self):
            return self.now

    return Clock()


@pytest.fixture(scope="session")
def wsgi_app(settings, engine):
    return make_app(settings, dbsession_factory=sessionmaker(bind=engine))


@pytest.fixture
def app(wsgi_app, session_factory, clock):
    registry = wsgi_app.registry
    saved = registry["dbsession_factory"], registry["clock"]
    registry["dbsession_factory"] = session_factory
    registry["clock"] = clock
    set_context(JobContext(registry))  # jobs run against this test's database and clock
    yield wsgi_app
    registry["dbsession_factory"], registry["clock"] = saved


@pytest.fixture
def testapp(app):
    # Every HTML page a test renders is checked for inline script the CSP would block.
    return CheckedTestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "it"})


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2 at its production cost makes each login 50 ms; tests need correctness, not cost."""
    from argon2 import PasswordHasher

    from portal.accounts import security

    saved = security.password_hasher
    security.password_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security.password_hasher = saved
