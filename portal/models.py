"""People and their credentials. Tenants and their folders live in the domain packages."""
import hashlib
import secrets

from sqlalchemy import Boolean, ForeignKey, String
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
