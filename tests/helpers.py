"""Helpers shared by many test files: reading refusals off rendered pages, counting rows, firing
requests in parallel."""
import threading

import webtest
from sqlalchemy import func, select

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
