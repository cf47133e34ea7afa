"""The operators' holds on slots (rule 10)."""
from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agents.models import Agent
from portal.db import Base, UTCDateTime, utcnow


class Hold(Base):
    """An operator's short claim on a slot while filling in the prospect (rule 10)."""

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_agent_expires", "agent_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    busy_until = mapped_column(UTCDateTime, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    # A hold ends early when booked (consumed) or let go (released).
    ended_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent] = relationship()

    def active_at(self, now):
        return self.ended_at is None and self.expires_at > now
