"""Background jobs that are never lost nor doubled (spec §7).

A job is requested inside the business transaction by writing an outbox row.
Once that transaction commits, the row is pushed to RQ (or, with no Redis,
run in-process). Rows that did not make it (Redis down, process killed) are
pushed again by ``relay``, which the scheduler runs every minute (``portal/jobs/periodic.py``). A job marks
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
from sqlalchemy import JSON, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, get_tm_session

log = logging.getLogger(__name__)
QUEUE = "portal"
# Seconds between attempts (setting portal.retry_intervals): one attempt more than intervals.
RETRY_INTERVALS = (10, 30, 60, 300, 900)
# A row pushed but not done after this long is pushed again (its worker died).
STUCK_AFTER = timedelta(minutes=10)
# The after-commit push normally happens within a second; the relay leaves it that long.
RELAY_GRACE = timedelta(seconds=30)


# Jobs that commit on their own (``function(context, job_id)``) instead of in ``run``'s transaction,
# and steps the relay takes first: registered by the modules that own them (portal.mail.delivery), so that
# the outbox needs to know nothing of mail.
OWN_TRANSACTION = {}
RELAY_STEPS = []


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    function: Mapped[str] = mapped_column(String(200))  # "package.module:function"
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, nullable=False)
    pushed_at = mapped_column(UTCDateTime, nullable=True, index=True)
    done_at = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failed_at = mapped_column(UTCDateTime, nullable=True, index=True)  # failed for good: an admin retries it
    sending_at = mapped_column(UTCDateTime, nullable=True)  # mails: an SMTP conversation began then


class JobContext:
    """What a job needs outside a request, read from the app's registry: sessions, settings,
    the mailer, the clock, and Redis (none: jobs run in-process after commit)."""

    def __init__(self, registry):
        self.registry = registry
        self.settings = registry.settings
        url = self.settings.get("portal.redis_url") or ""
        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5) if url else None
        self.queue_name = self.settings.get("portal.queue") or QUEUE
        self.retry_intervals = tuple(int(seconds) for seconds in
                                     (self.settings.get("portal.retry_intervals") or "").split()) or RETRY_INTERVALS
        self.mail_transport = registry.get("mail_transport")

    @property
    def attempts_allowed(self):
        return len(self.retry_intervals) + 1

    def retry(self):
        return Retry(max=len(self.retry_intervals), interval=list(self.retry_intervals))

    @property
    def session_factory(self):
        return self.registry["dbsession_factory"]

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
    """Claim each row, then hand it to RQ; with no Redis, run it here and now (a failure is recorded
    on its row and the relay tries again when it is due)."""
    for job_id in job_ids:
        if not _claim(context, job_id):
            continue
        if context.redis is None:
            try:
                run(job_id)
            except Exception:
                log.exception("outbox job %s failed; the relay retries it when due", job_id)
            continue
        try:
            context.queue().enqueue_call(run, args=(job_id,), job_id=context.rq_job_id(job_id), retry=context.retry(),
                                         failure_ttl=7 * 24 * 3600)
        except RedisError:
            log.warning("Redis unreachable: outbox job %s waits for the relay", job_id)
            _unclaim(context, job_id)


def relay(context=None):
    """Push what was never pushed, what failed and is due again (no Redis: the relay is the back-off),
    and again what was pushed but never done (worker killed). Rows failed for good wait for an admin."""
    context = context or get_context()
    now = context.clock()
    for step in RELAY_STEPS:
        step(context, now)
    with context.session_factory() as session:
        ids = session.execute(
            select(OutboxJob.id).where(
                OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None), OutboxJob.sending_at.is_(None),
                ((OutboxJob.pushed_at.is_(None)
                  & (((OutboxJob.next_attempt_at.is_(None)) & (OutboxJob.created_at < now - RELAY_GRACE))
                     | (OutboxJob.next_attempt_at <= now)))
                 | (func.coalesce(OutboxJob.next_attempt_at, OutboxJob.pushed_at) < now - STUCK_AFTER)),
            ).order_by(OutboxJob.id)
        ).scalars().all()
        if ids:
            session.execute(update(OutboxJob).where(OutboxJob.id.in_(ids)).values(pushed_at=None))
            session.commit()
    push(context, ids)
    return len(ids)


def run(job_id):
    """The RQ job: do the work and mark the row done in one transaction, at most once. A mail is
    delivered instead (``portal.mail.delivery.deliver``): done once the SMTP server accepted it."""
    context = get_context()
    with context.session_factory() as session:
        function = session.execute(select(OutboxJob.function).where(OutboxJob.id == job_id)).scalar_one_or_none()
    if function in OWN_TRANSACTION:
        return OWN_TRANSACTION[function](context, job_id)
    # The thread's own manager: mails the job asks for are outbox rows of this transaction.
    manager = transaction.manager
    try:
        with manager:
            dbsession = get_tm_session(context.session_factory, manager)
            job = dbsession.execute(select(OutboxJob).where(OutboxJob.id == job_id).with_for_update()
                                    ).scalar_one_or_none()
            if job is None or job.done_at is not None:
                return "already done"
            module, name = job.function.split(":")
            result = getattr(importlib.import_module(module), name)(dbsession, context, **job.kwargs)
            job.done_at = context.clock()
            return result
    except Exception as error:
        record_failure(context, job_id, describe(error), count_attempt=True)
        raise


def describe(error):
    return f"{error.__class__.__name__}: {error}"[:2000]


def record_failure(context, job_id, error, *, count_attempt=False, permanent=False):
    """After a failed attempt: the error, and the next attempt's time or failed for good. Without
    Redis the row is released for the relay, which tries again once ``next_attempt_at`` has come;
    with Redis RQ's ``Retry`` owns the next attempt (the relay only steps in if it is lost)."""
    now = context.clock()
    try:
        with context.session_factory() as session:
            job = session.get(OutboxJob, job_id, with_for_update=True)
            if job is None or job.done_at is not None:
                return None
            if count_attempt:
                job.attempts = (job.attempts or 0) + 1
            job.last_error, job.sending_at = error, None
            if permanent or job.attempts >= context.attempts_allowed:
                job.failed_at, job.next_attempt_at = now, None
            else:
                wait = context.retry_intervals[min(job.attempts, len(context.retry_intervals)) - 1]
                job.next_attempt_at = now + timedelta(seconds=wait)
            if context.redis is None:
                job.pushed_at = None
            session.commit()
            return job.failed_at is not None
    except Exception:  # the database itself may be what failed: the relay finds the row again
        log.exception("could not record the failure of outbox job %s", job_id)
        return None


def retry_now(dbsession, job_id):
    """An admin's retry of a row not done (failed for good, or waiting for its next attempt), in the
    request's transaction: attempts start again from zero and the row is handed over once it commits.
    None: no such row (or its mail is being sent right now)."""
    job = dbsession.execute(select(OutboxJob).where(OutboxJob.id == job_id).with_for_update()).scalar_one_or_none()
    if job is None or job.done_at is not None or job.sending_at is not None:
        return None
    job.failed_at = job.next_attempt_at = job.pushed_at = None
    job.attempts = 0
    dbsession.flush()
    manager = dbsession.info.get("transaction_manager")
    if manager is not None:
        manager.get().addAfterCommitHook(_after_commit, args=(job.id,))
    return job


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


def includeme(config):
    set_context(JobContext(config.registry))
