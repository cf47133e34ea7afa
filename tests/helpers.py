"""Helpers shared by many test files: reading refusals off rendered pages, counting rows, firing
requests in parallel."""
import threading
from contextlib import contextmanager

import webtest
from sqlalchemy import event, func, select

from callcenter.appointments.models import Appointment


def field_error(page, field, form="deform"):
    """The message rendered next to a field of a deform form, or None."""
    message = page.html.select_one(f"#{form} .item-{field} .invalid-feedback")
    return message.text.strip() if message is not None else None


def form_error(page, form="deform"):
    """The message at the top of a deform form (its alert box), or None."""
    message = page.html.select_one(f"#{form} .alert-danger .error-msg")
    return message.text.strip() if message is not None else None


def appointment_count(dbsession):
    dbsession.expire_all()
    return dbsession.execute(select(func.count()).select_from(Appointment)).scalar_one()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def fire(wsgi_app, requests):
    """POST every (path, body, headers) at once, each from its own thread; the responses in order."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, path, body, headers):
        client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        barrier.wait()
        responses[index] = client.post_json(path, body, headers=headers, expect_errors=True)

    threads = [threading.Thread(target=run, args=(index, *request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(response is not None for response in responses), "a request did not finish"
    return responses


# The tests' own transaction control (each test runs inside a SAVEPOINT), not the request's work.
TEST_HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def statements_on(connection):
    """The SQL statements sent through ``connection`` inside the block, the tests' SAVEPOINTs left out."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(TEST_HARNESS):
            statements.append(" ".join(statement.split()))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def assert_statements(connection, recorded, case, send):
    """Send one request; fail when it issues more statements than ``recorded[case]`` (a regression guard
    of README "Performance"). Returns its response and the number of statements."""
    with statements_on(connection) as statements:
        response = send()
    listing = "\n".join(f"  {statement[:200]}" for statement in statements)
    assert len(statements) <= recorded[case], (
        f"{case}: {len(statements)} SQL statements, {recorded[case]} recorded:\n{listing}")
    return response, len(statements)
