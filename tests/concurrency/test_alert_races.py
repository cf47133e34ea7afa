"""Two bookings crossing thresholds at once, and one alert job run by two workers at once:
each threshold is alerted exactly once (rule 12), on both databases, committing for real."""
import threading
import uuid
import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from campaigns.alerts import QuotaAlert
from portal.jobs.outbox import JobContext, OutboxJob, run, set_context
from tests.concurrency.test_booking_races import booking, committed_tenant, fire, nth_slot  # noqa: F401
from tests.jobs.conftest import REDIS_URL


@pytest.fixture
def jobs(wsgi_app, fixed_clock):
    """Jobs handed to a queue of this test's own on the real Redis."""
    context = JobContext(wsgi_app.registry)
    context.redis = Redis.from_url(REDIS_URL)
    context.queue_name = f"test-{uuid.uuid4().hex[:8]}"
    set_context(context)
    yield context
    context.queue().empty()


def alerts(engine, campaign_id):
    with sessionmaker(bind=engine)() as session:
        return session.execute(select(QuotaAlert.threshold).where(QuotaAlert.campaign_id == campaign_id)
                               .order_by(QuotaAlert.threshold)).scalars().all()


def test_parallel_bookings_crossing_thresholds_alert_each_once(engine, wsgi_app, committed_tenant, jobs):  # noqa: F811
    names, ids, tokens = committed_tenant  # 5 purchased
    first = [booking(names, tokens["operator"], names["agents"][0], nth_slot(i)) for i in range(3)]
    assert [r.status_int for r in fire(wsgi_app, first)] == [201] * 3
    last_two = [booking(names, tokens["operator"], names["agents"][1], nth_slot(i)) for i in range(4)]
    statuses = sorted(r.status_int for r in fire(wsgi_app, last_two))
    assert statuses == [201, 201, 409, 409]
    SimpleWorker([jobs.queue()], connection=jobs.redis).work(burst=True)
    assert alerts(engine, ids["campaign"]) == [80, 90, 100]


def test_one_alert_job_run_by_two_workers_at_once_alerts_once(engine, wsgi_app, committed_tenant, jobs):  # noqa: F811
    names, ids, tokens = committed_tenant
    fire(wsgi_app, [booking(names, tokens["operator"], names["agents"][0], nth_slot(i)) for i in range(4)])
    jobs.queue().empty()
    with sessionmaker(bind=engine)() as session:
        job_id = session.execute(select(OutboxJob.id)).scalar_one()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        results.append(run(job_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["already done", "sent"]
    assert alerts(engine, ids["campaign"]) == [80]
