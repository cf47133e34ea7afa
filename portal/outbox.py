"""Background jobs that are never lost nor doubled (spec §7).

A job is requested inside the business transaction by writing an outbox row.
Once that transaction commits, the row is pushed to RQ (or, with no Redis,
run in-process). Rows that did not make it (Redis down, process killed) are
pushed again by ``relay``, which the scheduler runs every minute (``portal/periodic.py``). A job marks
its row done in the same transaction as its effect, so a job run twice does
its work once.
"""
import importlib
import logging
from datetime import timedelta

import transaction
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy import JSON, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, get_tm_session

log = logging.getLogger(__name__)
QUEUE = "portal"
RETRY = Retry(max=5, interval=[10, 30, 60, 300, 900])
# A row pushed but not done after this long is pushed again (its worker died).
STUCK_AFTER = timedelta(minutes=10)
# The after-commit push normally happens within a second; the relay leaves it that long.
RELAY_GRACE = timedelta(seconds=30)


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    function: Mapped[str] = mapped_column(String(200))  # "package.module:function"
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, nullable=False)
    pushed_at = mapped_column(UTCDateTime, nullable=True, index=True)
    done_at = mapped_column(UTCDateTime, nullable=True, index=True)


class JobContext:
    """What a job needs outside a request, read from the app's registry: sessions, settings,
    the mailer, the clock, and Redis (none: jobs run in-process after commit)."""

    def __init__(self, registry):
        self.registry = registry
        self.settings = registry.settings
        url = self.settings.get("portal.redis_url") or ""
        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5) if url else None
        self.queue_name = self.settings.get("portal.queue") or QUEUE

    @property
    def session_factory(self):
        return self.registry["dbsession_factory"]

    @property
    def mailer(self):
        return self.registry["mailer"]

    def clock(self):
        return self.registry["clock"]()

    def queue(self):
        return Queue(self.queue_name, connection=self.redis)

    def rq_job_id(self, job_id):
        """RQ's id of an outbox row: job ids are global to a Redis, outbox ids to a database,
        so the queue name keeps two portals (or two test databases) on one Redis apart."""
        return f"{self.queue_name}-outbox-{job_id}"


_context = None


def set_context(context):
    global _context
    _context = context


def get_context():
    if _context is None:
        raise RuntimeError("no job context: start workers with `portal-manage <ini> worker`")
    return _context


def request_job(dbsession, function, at, **kwargs):
    """Ask for ``function(dbsession, context, **kwargs)`` to run once this transaction commits.

    Outside a transaction manager (a bare session) the row waits for the relay.
    """
    job = OutboxJob(function=function, kwargs=kwargs, created_at=at)
    dbsession.add(job)
    dbsession.flush()
    manager = dbsession.info.get("transaction_manager")
    if manager is not None:
        manager.get().addAfterCommitHook(_after_commit, args=(job.id,))
    return job


def _after_commit(committed, job_id):
    if committed:
        try:
            push(get_context(), [job_id])
        except Exception:  # the relay will push it; the request's answer must not fail
            log.exception("could not push outbox job %s", job_id)


def push(context, job_ids):
    """Claim each row, then hand it to RQ; with no Redis, run it here and now."""
    for job_id in job_ids:
        if not _claim(context, job_id):
            continue
        if context.redis is None:
            run(job_id)
            continue
        try:
            context.queue().enqueue_call(run, args=(job_id,), job_id=context.rq_job_id(job_id), retry=RETRY,
                                         failure_ttl=7 * 24 * 3600)
        except RedisError:
            log.warning("Redis unreachable: outbox job %s waits for the relay", job_id)
            _unclaim(context, job_id)


def relay(context=None):
    """Push what was never pushed, and again what was pushed but never done (worker killed)."""
    context = context or get_context()
    now = context.clock()
    with context.session_factory() as session:
        ids = session.execute(
            select(OutboxJob.id).where(
                OutboxJob.done_at.is_(None),
                ((OutboxJob.pushed_at.is_(None) & (OutboxJob.created_at < now - RELAY_GRACE))
                 | (OutboxJob.pushed_at < now - STUCK_AFTER)),
            ).order_by(OutboxJob.id)
        ).scalars().all()
        if ids:
            session.execute(update(OutboxJob).where(OutboxJob.id.in_(ids)).values(pushed_at=None))
            session.commit()
    push(context, ids)
    return len(ids)


def run(job_id):
    """The RQ job: do the work and mark the row done in one transaction, at most once."""
    context = get_context()
    # The thread's own manager: the transactional mailer joins it too, so a mail leaves
    # only if the job's transaction commits.
    manager = transaction.manager
    with manager:
        dbsession = get_tm_session(context.session_factory, manager)
        job = dbsession.execute(select(OutboxJob).where(OutboxJob.id == job_id).with_for_update()).scalar_one_or_none()
        if job is None or job.done_at is not None:
            return "already done"
        module, name = job.function.split(":")
        result = getattr(importlib.import_module(module), name)(dbsession, context, **job.kwargs)
        job.done_at = context.clock()
        return result


def run_task(function, context=None):
    """A periodic job (RQ's scheduler, the in-process one, `portal-manage run-periodic`):
    ``function(dbsession, context)`` in one transaction. Such tasks are idempotent by what they
    read (a second run finds nothing left to do)."""
    context = context or get_context()
    with transaction.manager:
        dbsession = get_tm_session(context.session_factory, transaction.manager)
        module, name = function.split(":")
        return getattr(importlib.import_module(module), name)(dbsession, context)


def _claim(context, job_id):
    with context.session_factory() as session:
        claimed = session.execute(
            update(OutboxJob).where(OutboxJob.id == job_id, OutboxJob.pushed_at.is_(None), OutboxJob.done_at.is_(None))
            .values(pushed_at=context.clock())
        ).rowcount
        session.commit()
    return claimed == 1


def _unclaim(context, job_id):
    with context.session_factory() as session:
        session.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(pushed_at=None))
        session.commit()


def mailer_from_settings(settings):
    """Mail leaves only when the job's transaction commits; development writes it to a folder."""
    from pyramid_mailer.mailer import Mailer

    queue_path = settings.get("mail.queue_path") or None
    return Mailer.from_settings(settings) if not queue_path else Mailer(queue_path=queue_path,
                                                                      default_sender=settings.get("mail.default_sender"))


def send_mail(context, message):
    mailer = context.mailer
    if mailer.queue_delivery is not None:
        mailer.send_to_queue(message)
    else:
        mailer.send(message)


def includeme(config):
    config.registry["mailer"] = mailer_from_settings(config.get_settings())
    set_context(JobContext(config.registry))
