"""A real `portal-manage worker` killed with SIGKILL in the middle of a job: nothing of the
job is committed, the relay hands it out again, and its effect happens once."""
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from redis import Redis
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from campaigns.alerts import QuotaAlert
from portal.jobs.outbox import JobContext, OutboxJob, push, relay, set_context
from tests.concurrency.test_booking_races import committed_tenant  # noqa: F401
from tests.conftest import NOW, ROOT
from tests.jobs.conftest import REDIS_URL

WORKER = str(Path(sys.executable).with_name("portal-manage"))


def write_ini(path, engine, queue_name):
    url = engine.url.render_as_string(hide_password=False)
    path.write_text(f"""[app:main]
use = egg:appointment-quota-portal
sqlalchemy.url = {url}
portal.secret = test-secret
portal.redis_url = {REDIS_URL}
portal.queue = {queue_name}
mail.queue_path = {path.parent / "maildir"}
""")


def wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_job_whose_worker_is_killed_happens_once(engine, wsgi_app, committed_tenant, tmp_path):  # noqa: F811
    names, ids, tokens = committed_tenant
    context = JobContext(wsgi_app.registry)
    context.redis = Redis.from_url(REDIS_URL)
    context.queue_name = f"test-{uuid.uuid4().hex[:8]}"
    set_context(context)
    hold_key = f"{context.queue_name}:hold"
    context.redis.set(hold_key, "1", ex=120)
    with sessionmaker(bind=engine)() as session:
        job = OutboxJob(function="tests.concurrency.slow_jobs:slow_alert", created_at=NOW,
                        kwargs={"campaign_id": ids["campaign"], "threshold": 80, "hold_key": hold_key})
        session.add(job)
        session.commit()
        job_id = job.id
    push(context, [job_id])

    ini = tmp_path / "worker.ini"
    write_ini(ini, engine, context.queue_name)
    environment = dict(os.environ, PYTHONPATH=str(ROOT))  # the worker imports this test's slow job
    # --simple: the job runs in the worker process itself, so SIGKILL stops it mid-job.
    worker = subprocess.Popen([WORKER, str(ini), "worker", "--simple"], cwd=ROOT, start_new_session=True, env=environment,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "w"))
    try:
        rq_job = Job.fetch(context.rq_job_id(job_id), connection=context.redis)
        assert wait_for(lambda: rq_job.get_status(refresh=True) == "started"), (tmp_path / "worker.log").read_text()
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def alerts():
        with sessionmaker(bind=engine)() as session:
            return session.execute(select(QuotaAlert.threshold).where(
                QuotaAlert.campaign_id == ids["campaign"])).scalars().all()

    assert alerts() == []
    assert "exception raised" not in (tmp_path / "worker.log").read_text()  # killed, not failed
    context.redis.delete(hold_key)
    wsgi_app.registry["clock"] = lambda: NOW + timedelta(minutes=11)
    assert relay(context) == 1
    from rq import SimpleWorker

    SimpleWorker([context.queue()], connection=context.redis).work(burst=True)
    assert relay(context) == 0
    assert alerts() == [80]
    context.queue().empty()
