"""Passwords (README "Signing in safely"): the policy every new password meets, and the reset by e-mail.

A reset is asked for with an e-mail address; the answer is the same whether a user has it or not.
The job that mails the link makes its secret, so the secret is never written anywhere but in the
mail: the database keeps its SHA-256. The link works once, for an hour.
"""
import secrets
from datetime import timedelta
from functools import lru_cache

from pyramid_mailer.message import Message
from sqlalchemy import func, select, update

from portal.errors import RuleViolation
from portal.i18n import _
from portal.mail.templates import MailKind, Variable, mail_language, render
from portal.accounts.models import PasswordReset, User, digest_of

MIN_PASSWORD_LENGTH = 12
RESET_VALID_FOR = timedelta(hours=1)
# More reset mails than this per user and hour are not sent (nobody is flooded with them).
RESETS_PER_HOUR = 3


@lru_cache(maxsize=1)
def common_passwords():
    """The 30,000 most common passwords of zxcvbn's list (from leaked password sets)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_policy(password, field="password", email=None):
    """Rule: at least 12 characters, not a common password, not the e-mail address itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleViolation("validation_error", _("password_too_short", default="At least ${min} characters."),
                            field, mapping={"min": MIN_PASSWORD_LENGTH})
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered == email.strip().lower()):
        raise RuleViolation("password_too_common", field=field)


# --- Reset by e-mail ------------------------------------------------------------------------------

PASSWORD_RESET_MAIL = MailKind(
    name="password_reset",
    title=_("mail_kind_password_reset", default="Password reset"),
    description=_("mail_kind_password_reset_help", default="To a user who asked to reset the password."),
    variables=(Variable("link", _("mail_var_link", default="The reset link")),
               Variable("minutes", _("mail_var_minutes", default="Minutes the link stays valid"))),
    sample={"link": "https://portale.example/reset-password?token=...", "minutes": 60},
    defaults={
        "it": ("Reimpostazione della password del portale appuntamenti",
               "Buongiorno,\n\nè stata chiesta la reimpostazione della password del suo accesso al portale "
               "appuntamenti. Per scegliere una nuova password apra questo collegamento entro {{ minutes }} minuti "
               "(vale una sola volta):\n\n{{ link }}\n\n"
               "Se non è stato lei a chiederla, ignori questo messaggio: la password resta quella di prima.\n"),
        "en": ("Resetting your password of the appointment portal",
               "Hello,\n\nsomeone asked to reset the password of your login to the appointment portal. To choose "
               "a new password, open this link within {{ minutes }} minutes (it works once):\n\n{{ link }}\n\n"
               "If you did not ask for it, ignore this message: your password stays as it was.\n"),
    },
)


def request_reset(dbsession, email, now, public_url):
    """Ask for a reset mail for ``email``; returns the user or None. Nothing tells the caller which:
    the page says the same in both cases."""
    from portal.jobs.outbox import request_job

    user = dbsession.execute(
        select(User).where(func.lower(User.email) == email.strip().lower(), User.active.is_(True))
    ).scalar_one_or_none()
    if user is None:
        return None
    recent = dbsession.execute(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.created_at > now - timedelta(hours=1))).scalar_one()
    if recent >= RESETS_PER_HOUR:
        return user
    reset = PasswordReset(user_id=user.id, created_at=now, expires_at=now + RESET_VALID_FOR)
    dbsession.add(reset)
    dbsession.flush()
    request_job(dbsession, "portal.accounts.passwords:send_reset_mail", now, reset_id=reset.id, public_url=public_url)
    return user


def send_reset_mail(dbsession, context, *, reset_id, public_url):
    """The job: make the link's secret, keep its digest, mail the link in the user's language."""
    from portal.mail.delivery import send_mail

    reset = dbsession.get(PasswordReset, reset_id)
    if reset is None or reset.digest is not None or reset.used_at is not None:
        return "already sent"
    user = dbsession.get(User, reset.user_id)
    secret = secrets.token_urlsafe(32)
    reset.digest = digest_of(secret)
    language = mail_language(user.language)
    subject, body = PASSWORD_RESET_MAIL.defaults[language]
    link = f"{public_url.rstrip('/')}/reset-password?token={secret}"
    minutes = int(RESET_VALID_FOR.total_seconds() // 60)
    subject, body = render(PASSWORD_RESET_MAIL, language, subject, body, {"link": link, "minutes": minutes})
    send_mail(dbsession, context, Message(subject=subject, recipients=[user.email], body=body,
                                          sender=context.settings.get("mail.default_sender") or "portale@example.invalid"))
    return "sent"


def usable_reset(dbsession, secret, now):
    """The reset this secret opens, or ``reset_link_invalid`` (unknown, used or expired)."""
    reset = None
    if secret:
        reset = dbsession.execute(
            select(PasswordReset).where(PasswordReset.digest == digest_of(secret))).scalar_one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise RuleViolation("reset_link_invalid")
    user = dbsession.get(User, reset.user_id)
    if user is None or not user.active:
        raise RuleViolation("reset_link_invalid")
    return reset, user


def reset_password(dbsession, secret, new_password, now):
    """Set the new password with the link's secret, once; every session of the user ends and
    every other link of the user stops working. Returns the user."""
    from portal.accounts.security import end_sessions, hash_password

    reset, user = usable_reset(dbsession, secret, now)
    password_policy(new_password, "new_password", user.email)
    # Spent with a guarded UPDATE: of two concurrent uses of one link, one wins.
    spent = dbsession.execute(
        update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now), execution_options={"synchronize_session": False}).rowcount
    if not spent:
        raise RuleViolation("reset_link_invalid")
    dbsession.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                      .values(used_at=now), execution_options={"synchronize_session": False})
    user.password_hash = hash_password(new_password)
    end_sessions(dbsession, user.id, now)
    return user
