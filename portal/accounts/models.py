"""People and their credentials. Tenants and their folders live in the domain packages."""
import hashlib
import secrets

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

ROLES = ("client", "zone_manager", "agent", "operator", "account_manager", "admin")
CLIENT_ROLES = ("client", "zone_manager", "agent")
STAFF_ROLES = ("operator", "account_manager", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language of the user's mails: the last one chosen in the top bar (it/en), Italian until then.
    language: Mapped[str] = mapped_column(String(2), default="it")
    # Operators trusted to book outside an agent's schedule in exceptional cases (rule 9).
    may_book_out_of_schedule: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor sign-in (TOTP): the secret is written at enrolment and used once confirmed
    # (``totp_enabled_at``); ``totp_last_step`` refuses a code already used (replay).
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled_at = mapped_column(UTCDateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    login_sessions: Mapped[list["LoginSession"]] = relationship(cascade="all, delete-orphan")

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


def digest_of(secret):
    """What is stored of a secret (a token, a session key): its SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


class LoginSession(Base):
    """A browser session opened by a login. The signed cookie carries its key and only the key's
    SHA-256 is stored, so that logging out ends the session on the server: a copy of the cookie
    is worth nothing afterwards. A password change or a deactivation ends all of a user's sessions."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ended_at = mapped_column(UTCDateTime, nullable=True)
    # For the idle timeout; written at most once a minute, not on every request.
    last_seen_at = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    revoked_at = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")

    digest_of = staticmethod(digest_of)

    @classmethod
    def issue(cls, user, label=""):
        """Return (token, secret): the secret is never stored."""
        secret = "qp_" + secrets.token_urlsafe(32)
        token = cls(user=user, label=label, digest=cls.digest_of(secret), prefix=secret[:10])
        return token, secret


class SignInFailure(Base):
    """A failed sign-in (or a wrong Bearer token), counted per account (``scope='account'``, the
    e-mail as typed) and per client address (``scope='ip'``) in a sliding window. Kept in the database
    so that every web process sees the same counts."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(254))
    at = mapped_column(UTCDateTime, nullable=False, index=True)


class SignInEvent(Base):
    """The sign-in audit: sign-ins, failures, lockouts, resets, two-factor changes, sign-outs."""

    __tablename__ = "sign_in_events"
    __table_args__ = (Index("ix_sign_in_events_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at = mapped_column(UTCDateTime, nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    email: Mapped[str] = mapped_column(String(254), default="")  # as typed, also when no user has it
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # The admin who did it (unlock, two-factor reset), when not the user.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class PasswordReset(Base):
    """A password reset asked for by e-mail. Its secret is made by the job that mails it and only
    its SHA-256 is stored; it works once, until ``expires_at``."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime, nullable=True)


class RecoveryCode(Base):
    """A one-time code that replaces the TOTP code when the device is lost; stored as its SHA-256."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    used_at = mapped_column(UTCDateTime, nullable=True)


class PortalSetting(Base):
    """A setting admins change in the portal (not in the ini), e.g. two-factor required for staff."""

    __tablename__ = "portal_settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
