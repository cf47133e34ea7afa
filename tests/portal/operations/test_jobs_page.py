"""/jobs: admins see the outbox and the jobs RQ gave up on, and send a failed one back to its queue."""
from datetime import timedelta

import pytest

from portal.jobs.outbox import request_job, run
from tests.conftest import NOW
from tests.factories import make_user
from tests.functional.conftest import login
from tests.jobs.conftest import work


def explode(dbsession, context):
    raise RuntimeError("the mail server said no")


@pytest.fixture
def admin(dbsession):
    return make_user(dbsession, "admin")


def test_a_job_that_keeps_failing_is_shown_to_admins_and_can_be_retried(testapp, dbsession, jobs, admin):
    row = request_job(dbsession, "tests.portal.operations.test_jobs_page:explode", NOW)
    dbsession.flush()
    # Delivered without retries left: the worker puts it in RQ's failed registry.
    jobs.queue().enqueue_call(run, args=(row.id,), job_id=jobs.rq_job_id(row.id))
    work(jobs)
    login(testapp, admin)
    page = testapp.get("/jobs")
    failed = page.html.select("#failed-jobs tr[data-job]")
    assert [tr["data-job"] for tr in failed] == [jobs.rq_job_id(row.id)]
    assert "RuntimeError: the mail server said no" in failed[0].text
    assert page.html.select_one('[data-count="waiting"]').text == "1"  # the outbox row is not done either
    form = [f for f in page.forms.values() if f.action.endswith("retry-job")][0]
    form.submit(status=302)
    assert jobs.queue().count == 1
    assert testapp.get("/jobs").html.select("#failed-jobs tr[data-job]") == []


def test_retrying_an_unknown_job_is_not_found(testapp, jobs, admin):
    login(testapp, admin)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post("/retry-job", {"csrf_token": token, "job": "nope"}, status=404)


def test_without_redis_the_page_says_jobs_run_in_process(testapp, dbsession, admin):
    request_job(dbsession, "tests.portal.operations.test_jobs_page:explode", NOW - timedelta(hours=1))
    login(testapp, admin)
    page = testapp.get("/jobs")
    assert page.html.select_one("#no-redis") is not None


@pytest.mark.parametrize("role", ["operator", "account_manager"])
def test_only_admins_see_the_jobs(testapp, dbsession, role):
    login(testapp, make_user(dbsession, role))
    testapp.get("/jobs", status=403)
    assert "/jobs" not in testapp.get("/password").text


def test_without_redis_retrying_a_job_is_not_found_rather_than_a_crash(testapp, admin):
    login(testapp, admin)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    refused = testapp.post("/retry-job", {"csrf_token": token, "job": "nope"}, status=404)
    assert "not_found" in refused.text


def test_the_page_counts_the_webhook_backlog_of_the_last_30_days(testapp, dbsession, admin):
    from portal.webhooks.endpoints import create_endpoint
    from portal.webhooks.models import WebhookDelivery

    settings = {"portal.encryption_keys": testapp.app.registry.settings["portal.encryption_keys"],
                "portal.outbound.allowed_networks": "93.184.215.0/24"}
    endpoint, _ = create_endpoint(dbsession, settings, url="https://93.184.215.14/hooks", now=NOW)
    for state, age in [("pending", 0), ("retrying", 1), ("retrying", 2), ("failed", 3), ("failed", 40),
                       ("delivered", 0)]:
        dbsession.add(WebhookDelivery(endpoint_id=endpoint.id, message_id=f"msg_{state}{age}", event_type="ping",
                                      body="{}", state=state, attempts=1, created_at=NOW - timedelta(days=age)))
    dbsession.flush()
    login(testapp, admin)
    page = testapp.get("/jobs")
    counts = {cell["data-webhooks"]: cell.text for cell in page.html.select("#webhook-summary [data-webhooks]")}
    assert counts == {"pending": "1", "retrying": "2", "failed": "1"}
