"""Jobs against the real Redis: a queue of each test's own, worked by a real RQ worker."""
import os
import uuid

import pytest
from redis import Redis
from rq import SimpleWorker

from portal.jobs.outbox import JobContext, set_context

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def jobs(app):
    """The app's job context, pointed at the real Redis with a queue of its own."""
    context = JobContext(app.registry)
    context.redis = Redis.from_url(REDIS_URL)
    context.queue_name = f"test-{uuid.uuid4().hex[:8]}"
    set_context(context)
    yield context
    context.queue().empty()
    context.redis.delete(*context.redis.keys(f"rq:*{context.queue_name}*") or ["none"])


def work(context):
    """A real worker in burst mode: runs what is queued, then returns."""
    SimpleWorker([context.queue()], connection=context.redis).work(burst=True)
