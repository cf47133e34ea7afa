"""Rule 12: alert the client and its account manager when *taken* crosses a threshold of
*purchased*, once per threshold per step ("contact us before the total is reached")."""
from functools import cache

from sqlalchemy import ForeignKey, Integer, UniqueConstraint, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.mail_templates import messages
from campaigns.models import Campaign, Client, Step
from portal.db import Base, UTCDateTime
from portal.accounts.models import User
from portal.mail.delivery import send_mail
from portal.jobs.outbox import request_job

DEFAULT_THRESHOLDS = (80, 90, 100)


class QuotaAlert(Base):
    """One alert sent; the unique key is what makes a second run of the job do nothing."""

    __tablename__ = "quota_alerts"
    __table_args__ = (UniqueConstraint("campaign_id", "step_id", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    threshold: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer)
    purchased: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UTCDateTime, nullable=False)


def thresholds_crossed(taken_before, taken_after, purchased, thresholds=DEFAULT_THRESHOLDS):
    """The thresholds (percent of purchased) that taken passes on its way up.

    200 purchased, 80 %: the 160th appointment crosses it (159 → 160), no other does.
    """
    if purchased <= 0:
        return []
    return [t for t in thresholds if taken_before * 100 < t * purchased <= taken_after * 100]


def request_alerts(dbsession, campaign, taken_before, taken_after, purchased, now):
    """Ask for the alert job of each threshold this booking crosses (sent after commit)."""
    thresholds = campaign.alert_thresholds or DEFAULT_THRESHOLDS
    for threshold in thresholds_crossed(taken_before, taken_after, purchased, thresholds):
        request_job(dbsession, "campaigns.alerts:send_quota_alert", now, campaign_id=campaign.id, threshold=threshold)


def send_quota_alert(dbsession, context, *, campaign_id, threshold):
    """The job: record the alert (shown in the client's folder) and mail it, unless already done
    for this threshold of the current step; a renewal (a new confirmed step) re-arms it."""
    campaign = dbsession.get(Campaign, campaign_id)
    step_id = dbsession.execute(
        select(Step.id).where(Step.campaign_id == campaign_id, Step.state == "confirmed")
        .order_by(Step.number.desc()).limit(1)
    ).scalar_one_or_none()
    exists = select(QuotaAlert.id).where(QuotaAlert.campaign_id == campaign_id, QuotaAlert.step_id == step_id,
                                         QuotaAlert.threshold == threshold)
    if dbsession.execute(exists).first():
        return "already sent"
    alert = QuotaAlert(client_id=campaign.client_id, campaign_id=campaign_id, step_id=step_id, threshold=threshold,
                       taken=campaign.taken, purchased=campaign.purchased, created_at=context.clock())
    try:
        with dbsession.begin_nested():
            dbsession.add(alert)
    except IntegrityError:  # a concurrent run of the same alert got there first
        return "already sent"
    recipients = alert_recipients(dbsession, campaign)
    for message in alert_messages(dbsession, campaign, alert, recipients, context):
        send_mail(dbsession, context, message)
    return "sent"


def alert_recipients(dbsession, campaign):
    client = dbsession.get(Client, campaign.client_id)
    users = dbsession.execute(
        select(User.email).where(User.active.is_(True),
                                 ((User.client_id == client.id) & (User.role == "client"))
                                 | (User.id == client.account_manager_id))
    ).scalars().all()
    return sorted(users)


def alert_messages(dbsession, campaign, alert, recipients, context):
    """From the campaign's (else the client's, else the default) "quota_alert" template, one mail per
    language of the recipients."""
    if not recipients:
        return []
    variables = {"client": campaign.client.name, "campaign": campaign.name, "threshold": alert.threshold,
                 "taken": alert.taken, "purchased": alert.purchased,
                 "remaining": max(alert.purchased - alert.taken, 0)}
    return messages(dbsession, "quota_alert", campaign.client_id, recipients, lambda language: variables,
                    context.settings.get("mail.default_sender") or "portale@example.invalid", campaign_id=campaign.id)


def recent_alerts(dbsession, client_id, limit=5):
    """The client's newest alerts for its folders' banner: threshold, taken, purchased, created_at."""
    return dbsession.execute(recent_alerts_statement(limit), {"client_id": client_id}).all()


@cache
def recent_alerts_statement(limit):
    alerts = QuotaAlert.__table__.c
    return (select(alerts.threshold, alerts.taken, alerts.purchased, alerts.created_at)
            .where(alerts.client_id == bindparam("client_id")).order_by(alerts.created_at.desc(), alerts.id.desc())
            .limit(limit))
