"""Mails about cancellation requests (spec §8, rule 5): the account manager learns of a new request, the
requester of its decision, each in his/her own language, from the client's (or campaign's) editable templates.

The services only ask for the mail (``request_notice``); it is an outbox job, so it leaves only once the
transaction commits, and ``claim_mail`` makes a second run of the job send nothing.
"""
from sqlalchemy import select

from callcenter.lifecycle.jobs import Words, claim_mail, sender
from callcenter.appointments.labels import REASON_LABELS
from callcenter.appointments.models import Appointment, CancellationRequest
from campaigns.mail_templates import messages
from campaigns.models import Client
from portal.i18n import _
from portal.accounts.models import User
from portal.mail.delivery import send_mail
from portal.jobs.outbox import request_job

SENT_KIND = {"cancellation_requested": "cancel_requested", "cancellation_decided": "cancel_decided"}
DECISION_WORDS = {
    "approved": _("mail_decision_approved", default="approved"),
    "rejected": _("mail_decision_rejected", default="rejected"),
}


def request_notice(dbsession, cancellation_request, now):
    """After a request is made (pending) or decided: mail about it once the transaction commits."""
    kind = "cancellation_requested" if cancellation_request.state == "pending" else "cancellation_decided"
    request_job(dbsession, "callcenter.lifecycle.notifications:send_cancellation_notice", now,
                request_id=cancellation_request.id, kind=kind)


def notice_recipients(dbsession, kind, cancellation_request, client):
    """The client's account manager for a new request; the requester for a decision (active logins only)."""
    user_id = client.account_manager_id if kind == "cancellation_requested" else cancellation_request.requested_by_id
    if user_id is None:
        return []
    return list(dbsession.execute(select(User.email).where(User.id == user_id, User.active.is_(True))).scalars())


def send_cancellation_notice(dbsession, context, *, request_id, kind):
    """The job: one mail per language of the recipients, unless a run already sent it."""
    cancellation = dbsession.get(CancellationRequest, request_id)
    if cancellation is None:
        return "gone"
    appointment = dbsession.get(Appointment, cancellation.appointment_id)
    client = dbsession.get(Client, appointment.client_id)
    recipients = notice_recipients(dbsession, kind, cancellation, client)
    if not recipients:
        return "no recipient"
    if not claim_mail(dbsession, SENT_KIND[kind], str(request_id), client.id, recipients, context.clock()):
        return "already sent"
    words = Words(context.registry)
    requester = cancellation.requested_by

    def variables(language):
        reason = REASON_LABELS.get(cancellation.reason)
        values = {"client": client.name, "appointment": words.appointment(appointment, client.timezone, language),
                  "reason": words.translate(reason, language) if reason else cancellation.reason,
                  "notes": cancellation.notes or "",
                  "requested_by": (requester.name or requester.email) if requester else ""}
        if kind == "cancellation_decided":
            values.update(approved=cancellation.state == "approved",
                          decision=words.translate(DECISION_WORDS[cancellation.state], language),
                          decision_notes=cancellation.decision_notes or "")
        return values

    for message in messages(dbsession, kind, client.id, recipients, variables, sender(context),
                            campaign_id=appointment.campaign_id):
        send_mail(dbsession, context, message)
    return "sent"
