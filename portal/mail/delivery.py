"""Mail that survives an SMTP outage and arrives once (spec §7, §8).

A mail is asked for inside a transaction (``send_mail``): it becomes an outbox row holding the
message (sender, recipients, subject, body) and a ``Message-ID`` made once, from the row, when it
is written. Once that transaction commits the row is delivered (``deliver``), by an RQ worker or
in-process, *outside* any business transaction: the mail's failure can neither roll back nor break
the change that asked for it. The row is done only once the SMTP server accepted the message.

Exactly once, and why. The SMTP server's "250" after the message's final dot is the one moment the
mail is sent; the database cannot commit in the same instant, so the order of the steps decides
what a crash or a fault can do:

1. *Claim* (its own short transaction): ``sending_at = now`` and one attempt more, only if the row
   is not done, not failed and not being sent. Two workers (RQ delivering twice, the relay racing
   a retry) cannot both claim it, so never two conversations for one row.
2. *Converse* with the server. Every failure before the final dot was handed over (no connection,
   refused sender or recipients, a 4xx/5xx reply, DATA refused) proves the server does not have the
   message: the claim is released, the error recorded, and the row retried with back-off (RQ's
   ``Retry`` with Redis, the relay without), or failed for good after the last attempt or at once
   on a permanent (5xx) refusal. An error *after* the final dot left (the connection dropped
   before the server's answer) leaves the outcome unknown: the row is failed with that error and is
   not resent on its own; an admin decides (the jobs page), and a resend carries the same
   ``Message-ID``, by which mail clients recognise a duplicate.
3. *Done* (its own short transaction, tried a few times): ``done_at``, claim cleared. If the
   database fails here, the mail was accepted but the row still says "being sent": the claim is
   what keeps any retry or relay from sending it again (they skip claimed rows), and the relay
   later turns a claim older than ``SENDING_TIMEOUT`` into "outcome unknown" (failed, for an
   admin), never into a resend.

So an accepted mail is never sent again by the portal on its own, and a mail the server did not
accept is retried until it is or an admin is told. Development (``mail.queue_path``) delivers to a
maildir the same way.
"""
import logging
import re
import smtplib
import time
import uuid
from datetime import timedelta
from email.utils import format_datetime

from pyramid_mailer.message import Message
from repoze.sendmail.maildir import Maildir
from sqlalchemy import update

from portal.jobs.outbox import OWN_TRANSACTION, RELAY_STEPS, OutboxJob, describe, record_failure, request_job
from portal.settings import as_bool

log = logging.getLogger(__name__)
MAIL_FUNCTION = "portal.mail.delivery:deliver"
# A claim older than this without an outcome: the sender died or could not record the acceptance.
SENDING_TIMEOUT = timedelta(minutes=10)
# Marking an accepted mail done is retried this many times (seconds between): a short database hiccup
# must not turn a sent mail into one whose outcome is unknown.
MARK_DONE_WAITS = (0.2, 0.5, 1.5)


class MailNotSent(Exception):
    """The server does not have the message: safe to try again (unless ``permanent``)."""

    def __init__(self, text, permanent=False):
        super().__init__(text)
        self.permanent = permanent


class OutcomeUnknown(Exception):
    """The whole message was handed over but the server's answer never came."""


def send_mail(dbsession, context, message):
    """Ask for ``message`` (a pyramid_mailer ``Message``) to be sent once this transaction commits: an outbox
    row of its own, written in the caller's transaction and delivered after commit by ``deliver``."""
    sender = message.sender or context.settings.get("mail.default_sender") or "portale@example.invalid"
    domain = sender.rpartition("@")[2] or "portal.invalid"
    job = request_job(dbsession, MAIL_FUNCTION, context.clock(), sender=sender, recipients=list(message.recipients),
                      subject=message.subject, body=message.body,
                      # Stable across every attempt and resend of this row; unique across databases.
                      message_id=f"<{uuid.uuid4().hex}@{domain}>")
    return job


def build_message(mail, created_at):
    """The MIME message of an outbox row: the same bytes at every attempt (its Message-ID and Date)."""
    return Message(subject=mail["subject"], sender=mail["sender"], recipients=mail["recipients"], body=mail["body"],
                   extra_headers={"Message-ID": mail["message_id"], "Date": format_datetime(created_at)}).to_message()


class SMTPTransport:
    """Plain smtplib, step by step, so that a failure is known to be before or after the final dot."""

    def __init__(self, host="localhost", port=25, username=None, password=None, tls=False, ssl=False, timeout=30):
        self.host, self.port, self.timeout = host, int(port), float(timeout)
        self.username, self.password, self.tls, self.ssl = username, password, tls, ssl

    def send(self, sender, recipients, message):
        """Deliver ``message``; returns {recipient: reply} of those refused for good (the others got it)."""
        try:
            smtp = (smtplib.SMTP_SSL if self.ssl else smtplib.SMTP)(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise MailNotSent(f"cannot reach {self.host}:{self.port}: {error}")
        try:
            try:
                smtp.ehlo_or_helo_if_needed()
                if self.tls:
                    smtp.starttls()
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                code, reply = smtp.mail(sender)
                if code != 250:
                    raise MailNotSent(f"sender refused: {code} {reply.decode(errors='replace')}", code >= 500)
                refused, waiting = {}, []
                for recipient in recipients:
                    code, reply = smtp.rcpt(recipient)
                    if code in (250, 251):
                        continue
                    if code >= 500:
                        refused[recipient] = f"{code} {reply.decode(errors='replace')}"
                    else:
                        waiting.append(f"{recipient}: {code} {reply.decode(errors='replace')}")
                if waiting:  # a temporary refusal: the whole mail waits, nobody gets it twice
                    raise MailNotSent("recipient refused for now: " + "; ".join(waiting))
                if len(refused) == len(recipients):
                    raise MailNotSent("every recipient refused: " + "; ".join(refused.values()), permanent=True)
                code, reply = smtp.docmd("DATA")
                if code != 354:
                    raise MailNotSent(f"DATA refused: {code} {reply.decode(errors='replace')}", code >= 500)
            except (OSError, smtplib.SMTPException) as error:  # nothing was handed over
                raise MailNotSent(describe(error))
            data = re.sub(rb"(?m)^\.", b"..", re.sub(rb"\r\n|\r|\n", b"\r\n", message.as_bytes()))
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            try:
                smtp.send(data + b".\r\n")
                code, reply = smtp.getreply()
            except (OSError, smtplib.SMTPException) as error:
                raise OutcomeUnknown(describe(error))
            if code != 250:
                raise MailNotSent(f"message refused: {code} {reply.decode(errors='replace')}", code >= 500)
            return refused
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class MaildirTransport:
    """Development: each mail a file in a maildir (``mail.queue_path``), as pyramid_mailer's queue wrote it."""

    def __init__(self, path):
        self.path = path

    def send(self, sender, recipients, message):
        message["X-Actually-From"] = sender
        message["X-Actually-To"] = ",".join(recipients)
        try:
            Maildir(self.path, create=True).add(message).commit()
        except OSError as error:
            raise MailNotSent(describe(error))
        return {}


def transport_from_settings(settings):
    queue_path = settings.get("mail.queue_path") or None
    if queue_path:
        return MaildirTransport(queue_path)
    return SMTPTransport(host=settings.get("mail.host") or "localhost", port=settings.get("mail.port") or 25,
                         username=settings.get("mail.username") or None, password=settings.get("mail.password"),
                         tls=as_bool(settings.get("mail.tls", "false")), ssl=as_bool(settings.get("mail.ssl", "false")),
                         timeout=settings.get("mail.timeout") or 30)


def deliver(context, job_id):
    """Send the mail of outbox row ``job_id`` once (see the module's docstring for the why).

    Raises ``MailNotSent`` when the server was not reached or refused for now, so that RQ's
    ``Retry`` tries again; the failure is on the row already."""
    now = context.clock()
    with context.session_factory() as session:
        claimed = session.execute(
            update(OutboxJob).where(OutboxJob.id == job_id, OutboxJob.done_at.is_(None),
                                    OutboxJob.failed_at.is_(None), OutboxJob.sending_at.is_(None))
            .values(sending_at=now, attempts=OutboxJob.attempts + 1)
        ).rowcount
        session.commit()
        job = session.get(OutboxJob, job_id)
        if claimed != 1:
            return ("gone" if job is None else "already done" if job.done_at is not None
                    else "failed for good" if job.failed_at is not None else "being sent")
        mail, created_at = dict(job.kwargs), job.created_at
    try:
        refused = context.mail_transport.send(mail["sender"], mail["recipients"], build_message(mail, created_at))
    except MailNotSent as error:
        failed_for_good = record_failure(context, job_id, str(error), permanent=error.permanent)
        log.warning("mail %s not sent (%s): %s", job_id, "failed for good" if failed_for_good else "retried", error)
        if failed_for_good:
            return f"failed for good: {error}"
        raise
    except OutcomeUnknown as error:
        record_failure(context, job_id, f"outcome unknown, not resent automatically: {error}", permanent=True)
        log.error("mail %s: the server's answer never came (%s); not resent automatically", job_id, error)
        return "outcome unknown"
    note = ("refused for good: " + "; ".join(f"{address} {reply}" for address, reply in refused.items())
            if refused else None)
    mark_done(context, job_id, note, mail)
    return "sent"


def mark_done(context, job_id, note=None, mail=None):
    """The server accepted the mail: record it, a few times if the database falters. If it never
    succeeds the row stays claimed, which is what keeps it from being sent again. The body is dropped
    then: it may hold a password-reset link or a prospect's details, which the outbox need not keep."""
    values = {"done_at": context.clock(), "sending_at": None, "last_error": note}
    if mail is not None:
        values["kwargs"] = {key: value for key, value in mail.items() if key != "body"}
    for wait in (*MARK_DONE_WAITS, None):
        try:
            with context.session_factory() as session:
                session.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(**values))
                session.commit()
            return True
        except Exception:
            if wait is None:
                log.exception("mail %s was accepted but cannot be marked done: it stays claimed, not resent",
                              job_id)
                return False
            time.sleep(wait)


def give_up_interrupted(context, now):
    """Claims older than ``SENDING_TIMEOUT``: the sender died mid-conversation or could not record
    the acceptance. Whether the server has the mail is unknown: failed, for an admin, not resent."""
    with context.session_factory() as session:
        session.execute(
            update(OutboxJob).where(OutboxJob.function == MAIL_FUNCTION, OutboxJob.done_at.is_(None),
                                    OutboxJob.failed_at.is_(None), OutboxJob.sending_at < now - SENDING_TIMEOUT)
            .values(failed_at=now, last_error="outcome unknown: the sending was interrupted (not resent "
                                              "automatically)")
        )
        session.commit()


def includeme(config):
    config.registry["mail_transport"] = transport_from_settings(config.get_settings())
    OWN_TRANSACTION[MAIL_FUNCTION] = deliver
    if give_up_interrupted not in RELAY_STEPS:
        RELAY_STEPS.append(give_up_interrupted)
