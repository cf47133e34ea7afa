"""The portal really served, driven by Debian's chromium through Playwright (README "Browser tests").

The app runs in a waitress thread on a free 127.0.0.1 port against a committed PostgreSQL
database. The demo is loaded once into a template database; each test gets a fresh copy of it
(CREATE DATABASE ... TEMPLATE), so tests commit for real and never see each other's changes.
One browser per session, one context per test; a failing test leaves a screenshot and the page's
HTML under var/test-artifacts/. PORTAL_BROWSER_HEADED=1 shows the browser (PORTAL_BROWSER_SLOWMO
in milliseconds slows it down).
"""
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from portal import make_app
from portal.db import engine_from_settings
from portal.jobs.outbox import JobContext, set_context
from tests.conftest import BACKENDS, BASE_SETTINGS, NOW, POSTGRES_SERVER, ROOT, TEST_DATABASE, migrate

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = ROOT / "var" / "test-artifacts"
TEMPLATE_DATABASE = TEST_DATABASE + "_browser_tpl"
WORK_DATABASE = TEST_DATABASE + "_browser"



def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))
            if "postgresql" not in BACKENDS:
                item.add_marker(pytest.mark.skip(reason="the browser tests run on PostgreSQL only"))


class Clock:
    """The served app's clock: tests move ``now``."""

    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def _admin():
    return sa.create_engine(POSTGRES_SERVER + "postgres", isolation_level="AUTOCOMMIT")


def _recreate(name, template=None):
    admin = _admin()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
    admin.dispose()
    return POSTGRES_SERVER + name


@pytest.fixture(scope="session")
def demo_template(cheap_password_hashing):
    """A migrated database holding the demo, loaded at the suite's NOW (a Monday)."""
    from callcenter.demo import load_demo_data

    engine = sa.create_engine(_recreate(TEMPLATE_DATABASE))
    migrate(engine)
    with sessionmaker(bind=engine)() as session:
        load_demo_data(session, now=NOW)
        session.commit()
    engine.dispose()  # a template must have no connection when it is copied
    yield TEMPLATE_DATABASE
    admin = _admin()
    with admin.connect() as connection:
        for name in (WORK_DATABASE, TEMPLATE_DATABASE):
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


class Server:
    """The WSGI app in a waitress thread; ``reset()`` gives it a fresh copy of the demo."""

    def __init__(self, template, export_dir):
        from waitress.server import create_server

        self.template = template
        self.clock = Clock()
        url = _recreate(WORK_DATABASE, template)
        settings = dict(BASE_SETTINGS, **{"sqlalchemy.url": url, "portal.export_dir": str(export_dir),
                                          "mail.queue_path": str(export_dir / "maildir")})
        self.engine = engine_from_settings(settings)
        self.app = make_app(settings, dbsession_factory=sessionmaker(bind=self.engine))
        self.app.registry["clock"] = self.clock
        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=4, expose_tracebacks=True)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def reset(self):
        self.engine.dispose()
        _recreate(WORK_DATABASE, self.template)
        self.clock.now = NOW
        set_context(JobContext(self.app.registry))  # in-process jobs run on this database and clock

    def session(self):
        return sessionmaker(bind=self.engine)()

    def close(self):
        self.server.close()
        self.engine.dispose()


@pytest.fixture(scope="session")
def served(demo_template, tmp_path_factory):
    server = Server(demo_template, tmp_path_factory.mktemp("browser-exports"))
    yield server
    server.close()


@pytest.fixture
def server(served):
    served.reset()
    return served


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: `make services` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=not os.environ.get("PORTAL_BROWSER_HEADED"),
            slow_mo=float(os.environ.get("PORTAL_BROWSER_SLOWMO", "0")),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def new_page(browser, server, request):
    """``new_page(viewport=LAPTOP, locale="it")``: a page in a context of its own; on failure every
    page of the test leaves its screenshot and HTML in var/test-artifacts/."""
    contexts = []

    def make(viewport=LAPTOP, locale="it"):
        context = browser.new_context(viewport=viewport, locale=locale, base_url=server.url,
                                      accept_downloads=True, is_mobile=viewport == PHONE,
                                      has_touch=viewport == PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if getattr(request.node, "failed_call", False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                stem = ARTIFACTS / f"{name}-{index}-{number}"
                try:
                    page.screenshot(path=f"{stem}.png", full_page=True)
                    Path(f"{stem}.html").write_text(page.content())
                except Exception:  # a page that crashed still lets the others be kept
                    pass
    for context in contexts:
        context.close()


def login(page, email, password="demo-password"):
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login of {email} failed"
