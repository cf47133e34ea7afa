"""Appointments booked by the call-center into the agents' calendars."""
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agents.models import Agent, Zone
from campaigns.models import Campaign, Client
from portal.db import Base, UTCDateTime, utcnow
from portal.models import User

APPOINTMENT_STATES = ("to_confirm", "confirmed", "cancelled")
# States that hold a place in *taken* and a slot in the agent's calendar.
ACTIVE_STATES = ("to_confirm", "confirmed")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("client_id", "number"),
        Index("ix_appointments_client_start", "client_id", "start_at"),
        Index("ix_appointments_agent_start", "agent_id", "start_at"),
        Index("ix_appointments_zone_start", "zone_id", "start_at"),
        Index("ix_appointments_agent_state", "agent_id", "state"),
        Index("ix_appointments_zone_state", "zone_id", "state"),
        Index("ix_appointments_campaign_state", "campaign_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    # The end plus the campaign's travel buffer: the agent is busy until then (rule 8).
    busy_until = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(20), default="to_confirm")
    prospect_name: Mapped[str] = mapped_column(String(200))
    prospect_phone: Mapped[str] = mapped_column(String(40))
    prospect_postal_code: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    # Booked outside the agent's schedule by someone allowed to (rule 9): kept for the record.
    out_of_schedule: Mapped[bool] = mapped_column(Boolean, default=False)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    campaign: Mapped[Campaign] = relationship()
    agent: Mapped[Agent] = relationship()
    zone: Mapped[Zone | None] = relationship()
    booked_by: Mapped[User | None] = relationship()

    @property
    def active(self):
        return self.state in ACTIVE_STATES


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
