"""Jobs requested in a booking's transaction reach a real RQ worker on the real Redis, once.

Each test has its own queue name on the Redis at 127.0.0.1:6379 and empties it afterwards.
"""
import os
from datetime import datetime, timedelta, timezone

import pytest
from redis import Redis
from sqlalchemy import func, select

from campaigns.alerts import QuotaAlert
from portal.jobs.outbox import OutboxJob, get_context, relay, run
from tests.factories import Tenant, make_token
from tests.jobs.conftest import work

SLOTS = ["2026-11-26T09:00:00+01:00", "2026-11-26T11:00:00+01:00", "2026-11-26T14:00:00+01:00",
         "2026-11-26T16:00:00+01:00", "2026-11-27T09:00:00+01:00"]


@pytest.fixture
def quota_of_five(dbsession):
    tenant = Tenant(dbsession, purchased=5)
    return tenant, {"Authorization": f"Bearer {make_token(dbsession, tenant.operator)}"}


def book(testapp, tenant, headers, start, status=201):
    path = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"
    body = {"agent": tenant.agent.slug, "start": start,
            "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}
    return testapp.post_json(path, body, headers=headers, status=status)


def alerts(dbsession, tenant):
    return dbsession.execute(
        select(QuotaAlert.threshold).where(QuotaAlert.campaign_id == tenant.campaign.id).order_by(QuotaAlert.threshold)
    ).scalars().all()


def mails(app):
    folder = os.path.join(app.registry.settings["mail.queue_path"], "new")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_the_booking_that_crosses_80_percent_alerts_once(testapp, app, dbsession, jobs, quota_of_five):
    tenant, headers = quota_of_five
    before = len(mails(app))
    for start in SLOTS[:3]:
        book(testapp, tenant, headers, start)
    assert jobs.queue().count == 0  # 3 of 5: nothing crossed
    book(testapp, tenant, headers, SLOTS[3])  # 4 of 5 = 80 %
    assert jobs.queue().count == 1
    work(jobs)
    assert alerts(dbsession, tenant) == [80]
    assert len(mails(app)) == before + 1


def test_a_job_run_twice_alerts_once(testapp, app, dbsession, jobs, quota_of_five):
    tenant, headers = quota_of_five
    for start in SLOTS[:4]:
        book(testapp, tenant, headers, start)
    job_id = dbsession.execute(select(OutboxJob.id).order_by(OutboxJob.id.desc())).scalars().first()
    work(jobs)
    sent = len(mails(app))
    assert run(job_id) == "already done"
    jobs.queue().enqueue_call(run, args=(job_id,))  # RQ delivering it a second time
    work(jobs)
    assert alerts(dbsession, tenant) == [80]
    assert len(mails(app)) == sent


def test_the_alert_job_itself_is_idempotent_even_without_its_outbox_mark(testapp, dbsession, jobs, quota_of_five):
    from campaigns.alerts import send_quota_alert

    tenant, headers = quota_of_five
    for start in SLOTS[:4]:
        book(testapp, tenant, headers, start)
    work(jobs)
    assert send_quota_alert(dbsession, jobs, campaign_id=tenant.campaign.id, threshold=80) == "already sent"
    assert alerts(dbsession, tenant) == [80]


def test_with_redis_down_the_booking_commits_and_the_relay_delivers_later(testapp, app, dbsession, jobs, clock,
                                                                          quota_of_five):
    tenant, headers = quota_of_five
    for start in SLOTS[:3]:
        book(testapp, tenant, headers, start)
    reachable = jobs.redis
    jobs.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nothing listens there
    book(testapp, tenant, headers, SLOTS[3])
    waiting = dbsession.execute(select(OutboxJob).where(OutboxJob.pushed_at.is_(None))).scalars().all()
    assert len(waiting) == 1 and waiting[0].kwargs == {"campaign_id": tenant.campaign.id, "threshold": 80}

    jobs.redis = reachable
    clock.now += timedelta(minutes=1)
    assert relay(jobs) == 1
    work(jobs)
    assert relay(jobs) == 0
    work(jobs)
    assert alerts(dbsession, tenant) == [80]


def test_a_job_pushed_but_never_done_is_pushed_again(testapp, dbsession, jobs, clock, quota_of_five):
    """A worker killed in the middle of the job never committed it: the relay hands it out again."""
    tenant, headers = quota_of_five
    for start in SLOTS[:4]:
        book(testapp, tenant, headers, start)
    jobs.queue().empty()  # the job was taken by a worker that died before committing
    clock.now += timedelta(minutes=11)
    assert relay(jobs) == 1
    work(jobs)
    assert alerts(dbsession, tenant) == [80]


def test_a_rolled_back_booking_requests_no_job(testapp, app, dbsession, jobs, quota_of_five):
    tenant, headers = quota_of_five
    for start in SLOTS[:3]:
        book(testapp, tenant, headers, start)
    before = len(mails(app))
    refused = book(testapp, tenant, headers, SLOTS[2], status=409)  # the 4th place, on a taken slot
    assert refused.json["error"]["code"] == "slot_taken"
    assert dbsession.execute(select(func.count()).select_from(OutboxJob)).scalar() == 0
    assert jobs.queue().count == 0
    work(jobs)
    assert alerts(dbsession, tenant) == [] and len(mails(app)) == before


def test_without_redis_jobs_run_in_process_after_commit(testapp, app, dbsession, quota_of_five):
    context = get_context()
    assert context.redis is None  # the test settings leave PORTAL_REDIS_URL empty, as `make run` does
    tenant, headers = quota_of_five
    for start in SLOTS[:4]:
        book(testapp, tenant, headers, start)
    assert alerts(dbsession, tenant) == [80]


def test_a_renewal_re_arms_the_alerts(testapp, app, dbsession, jobs, quota_of_five):
    from campaigns.services import add_step, confirm_step
    from tests.conftest import NOW

    tenant, headers = quota_of_five
    for start in SLOTS[:4]:
        book(testapp, tenant, headers, start)
    work(jobs)
    confirm_step(dbsession, add_step(dbsession, tenant.campaign, quantity=0 + 1, now=NOW), now=NOW)  # 4 of 6
    dbsession.flush()
    book(testapp, tenant, headers, SLOTS[4])  # 5 of 6 = 83 %: 80 % again, for the new step
    work(jobs)
    assert alerts(dbsession, tenant) == [80, 80]


def test_the_alert_shows_in_the_client_folder(testapp, app, dbsession, quota_of_five):
    from tests.functional.conftest import login

    tenant, headers = quota_of_five
    for start in SLOTS[:4]:
        book(testapp, tenant, headers, start)  # no Redis in the test settings: the job runs after commit
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/", headers={"Accept-Language": "en"})
    notice = page.html.select_one('[data-alert="80"]')
    assert notice is not None and "4 of 5" in notice.text


def test_the_scheduled_release_of_recoveries_runs_on_a_real_worker(app, dbsession, jobs, quota_of_five):
    """What `rq cron portal.jobs.cron` enqueues every hour: the release task, on the real Redis."""
    from callcenter.lifecycle import services as lifecycle
    from callcenter.booking.services import book_appointment
    from callcenter.appointments.models import Recovery
    from portal.jobs.outbox import run_task
    from tests.conftest import NOW

    tenant, _headers = quota_of_five
    start = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    booked = [book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=start + timedelta(hours=2 * i),
                               prospect={"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"},
                               booked_by=tenant.operator, now=NOW) for i in range(4)]
    request = lifecycle.request_cancellation(dbsession, booked[0], reason="duplicate", notes="",
                                             actor=tenant.client_user, now=NOW)
    lifecycle.decide_cancellation(dbsession, request, booked[0], approve=True, notes="", actor=tenant.account_manager,
                                  now=NOW)
    book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=start + timedelta(days=1),
                     prospect={"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"},
                     booked_by=tenant.operator, now=NOW)  # the last regular place: the step is delivered
    dbsession.flush()
    jobs.queue().enqueue_call(run_task, args=("callcenter.lifecycle.recoveries:release_recoveries",))
    work(jobs)
    assert dbsession.execute(select(Recovery.state)).scalar_one() == "released"
