"""Mail templates of a client and of its campaigns (spec §8): what is stored, which one applies,
and the messages built from them. The kinds, their defaults and the sandboxed rendering are in
``portal.mail.templates``.

A campaign's template wins over its client's, which wins over the built-in default.
"""
import logging

from pyramid_mailer.message import Message
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column
from zope.sqlalchemy import mark_changed

from portal.db import Base, UTCDateTime
from portal.errors import RuleViolation
from portal.mail.templates import KINDS, LANGUAGES, check_templates, defaults_of, mail_language, render
from portal.accounts.models import User

log = logging.getLogger(__name__)

class MailTemplate(Base):
    """A client's (campaign_id empty) or a campaign's own subject and body of one kind, in both languages."""

    __tablename__ = "mail_templates"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind"),
        # One client-wide template per kind: the campaign's unique key leaves NULLs apart.
        Index("uq_mail_templates_client_kind", "client_id", "kind", unique=True,
              postgresql_where=text("campaign_id IS NULL"), sqlite_where=text("campaign_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    subject_it: Mapped[str] = mapped_column(String(300))
    body_it: Mapped[str] = mapped_column(Text)
    subject_en: Mapped[str] = mapped_column(String(300))
    body_en: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at = mapped_column(UTCDateTime, nullable=False)

    def texts(self):
        return {language: {"subject": getattr(self, f"subject_{language}"), "body": getattr(self, f"body_{language}")}
                for language in LANGUAGES}


def stored_template(dbsession, kind, client_id, campaign_id=None):
    """The row of exactly this level (client-wide when ``campaign_id`` is None), or None."""
    query = select(MailTemplate).where(MailTemplate.client_id == client_id, MailTemplate.kind == kind)
    query = query.where(MailTemplate.campaign_id.is_(None) if campaign_id is None
                        else MailTemplate.campaign_id == campaign_id)
    return dbsession.execute(query).scalar_one_or_none()


def effective_templates(dbsession, kind, client_id, campaign_id=None):
    """(texts, source) that apply: the campaign's, else the client's, else the default."""
    if campaign_id is not None:
        row = stored_template(dbsession, kind, client_id, campaign_id)
        if row is not None:
            return row.texts(), "campaign"
    row = stored_template(dbsession, kind, client_id)
    if row is not None:
        return row.texts(), "client"
    return defaults_of(kind), "default"


def customised_kinds(dbsession, client_id):
    """{(kind, campaign_id or None)} of the client's stored templates, in one query."""
    return set(dbsession.execute(
        select(MailTemplate.kind, MailTemplate.campaign_id).where(MailTemplate.client_id == client_id)).all())


def save_template(dbsession, kind, client, texts, *, actor, now, campaign=None):
    """Store a client's (or campaign's) own template of ``kind``; a template that does not render with
    the kind's sample data is refused (``template_invalid``) and nothing is written."""
    check_templates(kind, texts)
    campaign_id = campaign.id if campaign is not None else None
    row = stored_template(dbsession, kind, client.id, campaign_id)
    if row is None:
        row = MailTemplate(client_id=client.id, campaign_id=campaign_id, kind=kind)
        dbsession.add(row)
    for language in LANGUAGES:
        setattr(row, f"subject_{language}", texts[language]["subject"])
        setattr(row, f"body_{language}", texts[language]["body"])
    row.updated_by_id, row.updated_at = actor.id if actor is not None else None, now
    dbsession.flush()
    return row


def reset_template(dbsession, kind, client, campaign=None):
    """Back to the level above: the campaign to its client's, the client to the default."""
    query = delete(MailTemplate).where(MailTemplate.client_id == client.id, MailTemplate.kind == kind)
    query = query.where(MailTemplate.campaign_id.is_(None) if campaign is None
                        else MailTemplate.campaign_id == campaign.id)
    dbsession.execute(query)
    mark_changed(dbsession)  # a DELETE below the ORM: the request's transaction must commit it


def recipients_by_language(dbsession, emails):
    """{language: [e-mail]}: each recipient in his/her own language; an address that is no user's
    (an agent without a login) reads Italian."""
    emails = sorted({email.lower() for email in emails if email})
    languages = dict(dbsession.execute(select(User.email, User.language).where(User.email.in_(emails))).all())
    grouped = {}
    for email in emails:
        grouped.setdefault(mail_language(languages.get(email)), []).append(email)
    return grouped


def messages(dbsession, kind, client_id, recipients, variables, sender, campaign_id=None):
    """One message per language of the recipients, rendered from the template that applies.

    ``variables`` is a function of the language (dates and states are written in it)."""
    if kind not in KINDS:
        raise KeyError(kind)
    texts, _source = effective_templates(dbsession, kind, client_id, campaign_id)
    built = []
    for language, emails in sorted(recipients_by_language(dbsession, recipients).items()):
        values = variables(language)
        try:
            subject, body = render(kind, language, texts[language]["subject"], texts[language]["body"], values)
        except RuleViolation:  # checked with the sample data, yet real data trips it: the mail still leaves
            log.exception("mail template %s of client %s fails: the default is used", kind, client_id)
            default = defaults_of(kind)[language]
            subject, body = render(kind, language, default["subject"], default["body"], values)
        built.append(Message(subject=subject, recipients=emails, body=body, sender=sender))
    return built
