"""Delivering an event to its endpoint (spec §9.2): after the commit, by the job tier, one delivery per job.

An attempt is a POST of the body written with the change, signed for this attempt (Standard Webhooks:
the receiver refuses a timestamp more than five minutes old), with a 15 s timeout and no redirect
followed; any 2xx is delivered. No database transaction is open while the receiver answers: the job reads
what it sends, lets go of the connection, posts, then records the attempt in a transaction of its own.

After a failure the same outbox row waits for its next attempt (``SCHEDULE``, with jitter, or the
receiver's ``Retry-After`` on 429 and 503) and the relay pushes it when due: about three days in all. A
410 disables the endpoint at once; an endpoint whose every delivery failed for ``DISABLE_AFTER`` is
disabled. The URL is checked again before every attempt, since what its host resolves to can change.
"""
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import requests

from portal.errors import RuleViolation
from portal.jobs.outbox import OWN_TRANSACTION, OutboxJob
from portal.webhooks.events import DELIVER
from portal.webhooks.keys import decrypt
from portal.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.webhooks.signing import signed_headers
from portal.webhooks.urls import OutboundPolicy, check_url

log = logging.getLogger(__name__)

# Seconds before the next attempt after the 1st, 2nd, ... failed one: ten attempts over about three days.
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.1  # each wait is stretched by up to 10 %, so that a recovering receiver is not hit all at once
TIMEOUT_SECONDS = 15
RESPONSE_KEPT = 2048
LONGEST_RETRY_AFTER = 86400
DISABLE_AFTER = timedelta(days=5)


@dataclass
class Outcome:
    status_code: int | None = None
    duration_ms: int = 0
    error: str | None = None
    response: str = ""
    retry_after: int | None = None

    @property
    def delivered(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after_seconds(value):
    """A ``Retry-After`` in seconds (its HTTP-date form is rare from webhook receivers: the schedule applies)."""
    try:
        return min(max(int(value), 0), LONGEST_RETRY_AFTER)
    except (TypeError, ValueError):
        return None


def post(url, secrets, message_id, body, policy):
    """One attempt, timed; never raises."""
    started = time.monotonic()
    outcome = Outcome()
    try:
        check_url(url, policy)
        data = body.encode("utf-8")
        with requests.post(url, data=data, headers=signed_headers(secrets, message_id, int(time.time()), data),
                           timeout=TIMEOUT_SECONDS, allow_redirects=False, stream=True) as answer:
            outcome.status_code = answer.status_code
            outcome.response = answer.raw.read(RESPONSE_KEPT, decode_content=True).decode("utf-8", "replace")
            if answer.status_code in (429, 503):
                outcome.retry_after = retry_after_seconds(answer.headers.get("Retry-After"))
            if 300 <= answer.status_code < 400:
                outcome.error = "redirect not followed"
    except RuleViolation as refused:
        outcome.error = f"{refused.code}: {refused.message.interpolate()}"
    except requests.RequestException as error:
        outcome.error = f"{error.__class__.__name__}: {error}"
    outcome.duration_ms = round((time.monotonic() - started) * 1000)
    outcome.error = outcome.error[:300] if outcome.error else None
    return outcome


def next_wait(attempts, retry_after=None, jitter=random.random):
    """Seconds until the next attempt after ``attempts`` failed ones; None when they are all spent."""
    if attempts > len(SCHEDULE):
        return None
    if retry_after is not None:
        return retry_after
    return SCHEDULE[attempts - 1] * (1 + JITTER * jitter())


def signing_secrets(settings, endpoint, now):
    secrets = [decrypt(settings, endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_secret_until and now < endpoint.previous_secret_until:
        secrets.append(decrypt(settings, endpoint.previous_secret))
    return secrets


def deliver(context, job_id):
    """The job: send the delivery of outbox row ``job_id`` once, record the attempt, plan the next."""
    with context.session_factory() as session:
        job = session.get(OutboxJob, job_id)
        delivery = session.get(WebhookDelivery, job.kwargs["delivery_id"]) if job is not None else None
        if job is None or job.done_at is not None:
            return "already done"
        if delivery is None or delivery.state in ("delivered", "failed") or not delivery.endpoint.enabled:
            job.done_at = context.clock()
            session.commit()
            return "nothing to send"
        endpoint = delivery.endpoint
        target = (endpoint.url, signing_secrets(context.settings, endpoint, context.clock()),
                  delivery.message_id, delivery.body)
    outcome = post(*target, OutboundPolicy.from_settings(context.settings))
    return record(context, job_id, delivery.id, outcome)


def record(context, job_id, delivery_id, outcome):
    now = context.clock()
    with context.session_factory() as session:
        job = session.get(OutboxJob, job_id, with_for_update=True)
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
        session.add(WebhookAttempt(delivery_id=delivery.id, at=now, status_code=outcome.status_code,
                                   duration_ms=outcome.duration_ms, error=outcome.error, response=outcome.response))
        delivery.attempts += 1
        wait = None if outcome.delivered else next_wait(delivery.attempts, outcome.retry_after)
        if outcome.delivered:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
            endpoint.failing_since = None
        else:
            judge_endpoint(endpoint, outcome, now)
            if wait is None or not endpoint.enabled:
                delivery.state, delivery.next_attempt_at = "failed", None
            else:
                delivery.state, delivery.next_attempt_at = "retrying", now + timedelta(seconds=wait)
        if delivery.state == "retrying":  # the same row, pushed again by the relay when due
            job.pushed_at, job.next_attempt_at, job.last_error = None, delivery.next_attempt_at, outcome.error
        else:
            job.done_at = now
        session.commit()
        return delivery.state


def judge_endpoint(endpoint, outcome, now):
    """410: the receiver is gone for good. Otherwise an endpoint failing for ``DISABLE_AFTER`` is turned off."""
    if outcome.status_code == 410:
        disable(endpoint, "gone", now)
    elif endpoint.failing_since is None:
        endpoint.failing_since = now
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        disable(endpoint, "failing", now)


def disable(endpoint, reason, now):
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    log.warning("webhook endpoint %s disabled (%s)", endpoint.id, reason)


OWN_TRANSACTION[DELIVER] = deliver


def includeme(config):
    """Nothing to configure: included so that every process (web and workers) knows the job."""
