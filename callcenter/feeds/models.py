"""Private calendar feeds (iCalendar) of agents and zone managers."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agents.models import Agent, Zone
from campaigns.models import Client
from portal.db import Base, UTCDateTime
from portal.accounts.models import User


class CalendarFeed(Base):
    """A private iCalendar URL of an agent (his/her appointments) or of a zone manager (the zone's).

    Only the SHA-256 of the secret is stored, like API tokens: the URL is shown once.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at = mapped_column(UTCDateTime, nullable=False)
    revoked_at = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()
    client: Mapped[Client] = relationship()
    agent: Mapped[Agent | None] = relationship()
    zone: Mapped[Zone | None] = relationship()
