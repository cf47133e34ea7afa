"""Mail survives an SMTP outage and arrives once per outbox row (spec §7, §8), against a real SMTP
server (aiosmtpd on a free port of 127.0.0.1) that the tests stop and start again.

Mails are owed by a booking that crosses 80 % of the quota (the alert), a cancellation request (the
account manager's notice) and its decision (the requester's); they are delivered in-process without
Redis, and by a real RQ worker on the real Redis with it.
"""
import email
import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from campaigns.alerts import QuotaAlert
from callcenter.lifecycle.models import SentMail
from portal.mail import delivery as mailing
from portal.mail.delivery import MAIL_FUNCTION, SMTPTransport
from portal.jobs.outbox import OutboxJob, get_context, relay, run
from tests.factories import Tenant, make_token, make_user
from tests.functional.conftest import login

SLOTS = ["2026-11-26T09:00:00+01:00", "2026-11-26T11:00:00+01:00", "2026-11-26T14:00:00+01:00",
         "2026-11-26T16:00:00+01:00"]


class Inbox:
    """What the SMTP server accepted: one entry per message (per conversation)."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  email.message_from_bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def message_ids(self):
        with self.lock:
            return [message["Message-ID"] for _sender, _recipients, message in self.messages]


class SMTPServer:
    """An aiosmtpd server on one port, stopped and started again by the test."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def owed(dbsession):
    """A campaign of 5 places whose client, account manager and zone manager all have logins."""
    tenant = Tenant(dbsession, purchased=5)
    return tenant


def api(testapp, dbsession, user):
    headers = {"Authorization": f"Bearer {make_token(dbsession, user)}"}

    def call(path, body):
        return testapp.post_json("/api/v1" + path, body, headers=headers, expect_errors=True)

    return call


def owe_mails(testapp, dbsession, tenant):
    """Book 4 of 5 (the 80 % alert), ask to cancel the first and approve it: every answer a success."""
    operator = api(testapp, dbsession, tenant.operator)
    campaign = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"
    answers, numbers = [], []
    for start in SLOTS:
        answer = operator(campaign + "/appointments", {
            "agent": tenant.agent.slug, "start": start,
            "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}})
        answers.append(answer.status_int)
        numbers.append(answer.json.get("number"))
    appointment = f"/clients/{tenant.client.slug}/appointments/{numbers[0]}"
    answers.append(api(testapp, dbsession, tenant.client_user)(
        appointment + "/cancellation-request", {"reason": "wrong_target", "notes": "Non è il titolare"}).status_int)
    answers.append(api(testapp, dbsession, tenant.account_manager)(
        appointment + "/cancellation-request/approve", {"notes": "Visto"}).status_int)
    assert answers == [201, 201, 201, 201, 201, 200]  # the mails' failure broke none of them


def mail_rows(dbsession):
    dbsession.expire_all()
    return dbsession.execute(select(OutboxJob).where(OutboxJob.function == MAIL_FUNCTION)
                             .order_by(OutboxJob.id)).scalars().all()


def assert_each_mail_received_once(dbsession, smtp, tenant):
    rows = mail_rows(dbsession)
    kinds = {row.kwargs["subject"].split("] ")[1].split(":")[0] for row in rows}
    assert len(rows) >= 3 and len(kinds) == 3, kinds  # the alert, the request, the decision
    assert sorted(smtp.inbox.message_ids()) == sorted(row.kwargs["message_id"] for row in rows)
    assert len(set(smtp.inbox.message_ids())) == len(rows)  # none twice
    assert [(row.done_at is not None, row.sending_at, row.failed_at) for row in rows] == [(True, None, None)] * len(rows)
    assert not any("body" in row.kwargs for row in rows)  # a sent mail's text is not kept
    # The business side, once: one alert, one notice per request and per decision.
    assert dbsession.execute(select(QuotaAlert.threshold).where(QuotaAlert.campaign_id == tenant.campaign.id)
                             ).scalars().all() == [80]
    assert sorted(dbsession.execute(select(SentMail.kind).where(SentMail.client_id == tenant.client.id))
                  .scalars().all()) == ["cancel_decided", "cancel_requested"]


def test_without_redis_mails_wait_through_the_outage_and_arrive_once(testapp, app, dbsession, clock, smtp, owed):
    context = get_context()
    assert context.redis is None
    context.mail_transport = SMTPTransport("127.0.0.1", smtp.port, timeout=5)
    owe_mails(testapp, dbsession, owed)  # the server is down: each mail tried once after its commit

    rows = mail_rows(dbsession)
    assert rows and all(row.done_at is None and row.attempts == 1 and row.failed_at is None for row in rows)
    assert all("cannot reach" in row.last_error for row in rows)
    assert all(row.next_attempt_at == clock.now + timedelta(seconds=10) for row in rows)
    assert relay(context) == 0  # not due yet

    clock.now += timedelta(seconds=11)
    assert relay(context) == len(rows)  # due, still down: a second attempt each
    assert {row.attempts for row in mail_rows(dbsession)} == {2}
    smtp.start()
    assert relay(context) == 0  # the next attempt is 30 s later
    clock.now += timedelta(seconds=31)
    assert relay(context) == len(rows)
    clock.now += timedelta(hours=1)
    assert relay(context) == 0
    assert {run(row.id) for row in rows} == {"already done"}
    assert_each_mail_received_once(dbsession, smtp, owed)


def test_with_redis_a_real_worker_retries_with_back_off_and_each_mail_arrives_once(testapp, app, dbsession, clock,
                                                                                  jobs, smtp, owed):
    jobs.mail_transport = SMTPTransport("127.0.0.1", smtp.port, timeout=5)
    jobs.retry_intervals = (1, 1, 1, 1, 1)  # RQ's Retry: one second apart, so that the test waits little

    def work():
        SimpleWorker([jobs.queue()], connection=jobs.redis).work(burst=True, with_scheduler=True)

    owe_mails(testapp, dbsession, owed)
    work()  # the notices' jobs commit and ask for their mails; each mail fails and is scheduled again
    rows = mail_rows(dbsession)
    assert rows and all(row.done_at is None and row.attempts == 1 and "cannot reach" in row.last_error
                        for row in rows)
    clock.now += timedelta(minutes=1)
    assert relay(jobs) == 0  # RQ owns the retries; the relay steps in only for what Redis lost

    smtp.start()
    time.sleep(1.2)
    work()  # the scheduler hands the due retries over, and they are accepted
    work()
    clock.now += timedelta(hours=1)
    assert relay(jobs) == 0
    assert {run(row.id) for row in rows} == {"already done"}
    assert_each_mail_received_once(dbsession, smtp, owed)
    assert {row.attempts for row in mail_rows(dbsession)} == {2}


def test_a_mail_accepted_but_not_marked_done_is_never_sent_again(testapp, app, dbsession, clock, smtp, owed,
                                                                monkeypatch):
    """The database fails just after the server said 250: the claim stays, and neither the relay nor a
    retry sends the mail again; after a while it is shown as failed with an unknown outcome."""
    context = get_context()
    real = SMTPTransport("127.0.0.1", smtp.port, timeout=5)
    registry = app.registry
    working = registry["dbsession_factory"]
    broken = sessionmaker(bind=sa.create_engine("sqlite:////nonexistent-directory/portal.sqlite"))

    class DatabaseFailsAfterAcceptance:
        def send(self, sender, recipients, message):
            refused = real.send(sender, recipients, message)
            registry["dbsession_factory"] = broken  # connection refused from now on
            return refused

    monkeypatch.setattr(mailing, "MARK_DONE_WAITS", (0.01, 0.01))
    context.mail_transport = DatabaseFailsAfterAcceptance()
    smtp.start()
    operator = api(testapp, dbsession, owed.operator)
    campaign = f"/clients/{owed.client.slug}/campaigns/{owed.campaign.slug}"
    for start in SLOTS:
        registry["dbsession_factory"] = working
        operator(campaign + "/appointments", {"agent": owed.agent.slug, "start": start, "prospect": {
            "name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}})
    registry["dbsession_factory"] = working
    context.mail_transport = real
    [row] = mail_rows(dbsession)
    assert smtp.inbox.message_ids() == [row.kwargs["message_id"]]
    assert row.done_at is None and row.sending_at is not None  # accepted, not recorded: still claimed

    assert run(row.id) == "being sent"  # RQ delivering it again
    clock.now += timedelta(minutes=5)
    assert relay(context) == 0
    clock.now += timedelta(minutes=6)
    assert relay(context) == 0
    [row] = mail_rows(dbsession)
    assert row.failed_at is not None and "outcome unknown" in row.last_error
    assert len(smtp.inbox.messages) == 1


def test_admins_see_mails_retrying_and_failed_for_good_and_send_one_again(testapp, app, dbsession, clock, smtp,
                                                                           owed):
    context = get_context()
    context.mail_transport = SMTPTransport("127.0.0.1", smtp.port, timeout=5)
    owe_mails(testapp, dbsession, owed)
    rows = mail_rows(dbsession)
    for _attempt in range(context.attempts_allowed - 1):  # the server stays down: every attempt fails
        clock.now += timedelta(minutes=16)
        relay(context)
    failed = mail_rows(dbsession)[0]
    assert failed.failed_at is not None and failed.attempts == context.attempts_allowed
    clock.now += timedelta(hours=1)
    assert relay(context) == 0  # failed for good: the relay leaves it to an admin

    admin = make_user(dbsession, "admin")
    login(testapp, admin)
    page = testapp.get("/jobs", headers={"Accept-Language": "en"})
    listed = page.html.select("#mails tr[data-mail]")
    assert {tr["data-state"] for tr in listed} == {"failed"} and len(listed) == len(rows)
    assert "cannot reach" in listed[0].text and "Failed for good" in listed[0].text
    assert page.html.select_one('[data-mails="failed"]').text == str(len(rows))

    smtp.start()
    form = [f for f in page.forms.values() if f.action.endswith("retry-outbox") and f["job"].value == str(failed.id)][0]
    form.submit(status=302)
    assert smtp.inbox.message_ids() == [failed.kwargs["message_id"]]
    page = testapp.get("/jobs")
    assert str(failed.id) not in {tr["data-mail"] for tr in page.html.select("#mails tr[data-mail]")}
    token = page.forms[[key for key, f in page.forms.items() if f.action.endswith("retry-outbox")][0]]["csrf_token"].value
    testapp.post("/retry-outbox", {"csrf_token": token, "job": str(failed.id)}, status=404)  # done: nothing to retry
