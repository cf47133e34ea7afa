"""/jobs: the admins' view of background work (spec §7): outbox rows still to run, the mails not sent
yet (pending, retrying, failed for good, with their last error), and the jobs RQ gave up on after
their retries (its failed registry). An admin may send a failed job back to the queue, or retry a
mail or an outbox row now."""
from datetime import timedelta, timezone

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from portal import permissions as P
from portal.errors import RuleViolation
from portal.i18n import _, translate
from portal.mail.delivery import MAIL_FUNCTION
from portal.jobs.outbox import OutboxJob, get_context, retry_now
from portal.resources import Root
from portal.webhooks.models import WebhookDelivery

LISTED = 50


@view_config(context=Root, name="jobs", request_method="GET", permission=P.SEE_JOBS,
             renderer="portal.operations:templates/jobs.jinja2")
def jobs_page(context, request):
    jobs = get_context()
    return {"outbox": outbox_summary(request.dbsession, request.now), "waiting": waiting_rows(request.dbsession),
            "mails": mails_not_sent(request.dbsession), "mail_counts": mail_counts(request.dbsession),
            "mail_states": MAIL_STATES, "webhooks": webhook_counts(request.dbsession, request.now),
            "redis": jobs.redis is not None, "failed": failed_jobs(jobs), "queue": jobs.queue_name}


@view_config(context=Root, name="retry-outbox", request_method="POST", permission=P.SEE_JOBS)
def retry_outbox(context, request):
    """Try a mail (or any outbox row) not done yet again now, attempts counted from zero: the admin's
    call, also for a mail whose outcome is unknown (it keeps its Message-ID)."""
    try:
        job_id = int(request.POST.get("job", ""))
    except ValueError:
        raise RuleViolation("not_found")
    if retry_now(request.dbsession, job_id) is None:
        raise RuleViolation("not_found")
    request.session.flash(translate(request, _("outbox_retried", default="Tried again: the list below shows "
                                                "how it went.")), "success")
    return HTTPFound(request.resource_url(context, "jobs"))


@view_config(context=Root, name="retry-job", request_method="POST", permission=P.SEE_JOBS)
def retry_job(context, request):
    """Send a failed job back to its queue; the outbox row makes a second success harmless."""
    jobs = get_context()
    job_id = request.POST.get("job", "")
    if jobs.redis is None:  # jobs run in-process: no queue, so no failed job to send back
        raise RuleViolation("not_found")
    try:
        registry = FailedJobRegistry(queue=jobs.queue())
        if job_id not in registry.get_job_ids():
            raise RuleViolation("not_found")
        registry.requeue(job_id)
    except RedisError:
        raise RuleViolation("conflict", _("redis_unreachable", default="Redis cannot be reached: retry later."))
    request.session.flash(translate(request, _("job_requeued", default="The job is back in the queue.")), "success")
    return HTTPFound(request.resource_url(context, "jobs"))


def outbox_summary(dbsession, now):
    waiting = OutboxJob.done_at.is_(None)
    return {
        "waiting": count(dbsession, waiting & OutboxJob.pushed_at.is_(None)),
        "running": count(dbsession, waiting & OutboxJob.pushed_at.is_not(None)),
        "done_today": count(dbsession, OutboxJob.done_at >= now - timedelta(days=1)),
    }


def webhook_counts(dbsession, now, days=30):
    """The webhook backlog: deliveries still to send or retrying, and those failed for good lately."""
    counts = dict(dbsession.execute(
        select(WebhookDelivery.state, func.count()).where(
            WebhookDelivery.state.in_(("pending", "retrying", "failed")),
            WebhookDelivery.created_at >= now - timedelta(days=days))
        .group_by(WebhookDelivery.state)).all())
    return {state: counts.get(state, 0) for state in ("pending", "retrying", "failed")}


def count(dbsession, condition):
    return dbsession.execute(select(func.count()).select_from(OutboxJob).where(condition)).scalar_one()


def waiting_rows(dbsession):
    return dbsession.execute(
        select(OutboxJob).where(OutboxJob.done_at.is_(None)).order_by(OutboxJob.id).limit(LISTED)
    ).scalars().all()


def mail_state(row):
    if row.failed_at is not None:
        return "failed"
    if row.sending_at is not None:
        return "sending"
    return "retrying" if row.attempts else "pending"


MAIL_STATES = {
    "pending": _("mail_pending", default="To send"),
    "sending": _("mail_sending", default="Being sent"),
    "retrying": _("mail_retrying", default="Retrying"),
    "failed": _("mail_failed", default="Failed for good"),
}


def mails_not_sent(dbsession):
    """The mails not accepted by the server yet, failed for good first: [(row, state)]."""
    rows = dbsession.execute(
        select(OutboxJob).where(OutboxJob.function == MAIL_FUNCTION, OutboxJob.done_at.is_(None))
        .order_by(OutboxJob.failed_at.is_(None), OutboxJob.id).limit(LISTED)
    ).scalars().all()
    return [(row, mail_state(row)) for row in rows]


def mail_counts(dbsession):
    not_done = (OutboxJob.function == MAIL_FUNCTION) & OutboxJob.done_at.is_(None)
    return {
        "pending": count(dbsession, not_done & OutboxJob.failed_at.is_(None) & (OutboxJob.attempts == 0)),
        "retrying": count(dbsession, not_done & OutboxJob.failed_at.is_(None) & (OutboxJob.attempts > 0)),
        "failed": count(dbsession, not_done & OutboxJob.failed_at.is_not(None)),
    }


def failed_jobs(jobs):
    """The newest failures of this portal's queue: id, what ran, when, and the error's last line;
    None when Redis cannot be reached (the page says so)."""
    if jobs.redis is None:
        return []
    try:
        registry = FailedJobRegistry(queue=jobs.queue())
        ids = registry.get_job_ids(end=LISTED - 1, desc=True)
        found = [job for job in Job.fetch_many(ids, connection=jobs.redis) if job is not None]
        return [{"id": job.id, "function": job.func_name, "args": job.args, "ended_at": aware(job.ended_at),
                 "error": last_line(error_of(job))} for job in found]
    except RedisError:
        return None


def aware(moment):
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def error_of(job):
    result = job.latest_result()
    return result.exc_string if result is not None else ""


def last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def includeme(config):
    config.scan("portal.operations.pages")
