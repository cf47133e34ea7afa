"""Zones, field agents and their weekly schedules."""
from datetime import date, time

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.accounts.models import User

agent_zones = Table(
    "agent_zones",
    Base.metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# The zones a zone manager may see.
user_zones = Table(
    "user_zones",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("client_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    provinces: Mapped[list] = mapped_column(JSON, default=list)
    postal_codes: Mapped[list] = mapped_column(JSON, default=list)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    agents: Mapped[list["Agent"]] = relationship(
        secondary=agent_zones, back_populates="zones", order_by="Agent.name"
    )
    managers: Mapped[list[User]] = relationship(secondary=user_zones, backref="zones")


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("client_id", "slug"),
        # The client folder's first agents, active ones first, by name: two ranges, no sort.
        Index("ix_agents_client_active_name", "client_id", "active", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    zones: Mapped[list[Zone]] = relationship(secondary=agent_zones, back_populates="agents", order_by="Zone.name")
    schedule: Mapped[list["ScheduleInterval"]] = relationship(
        back_populates="agent",
        cascade="all, delete-orphan",
        order_by="(ScheduleInterval.weekday, ScheduleInterval.start_time)",
    )


class ScheduleInterval(Base):
    """One weekly opening of an agent: weekday 0 (Monday) to 6, local wall-clock times."""

    __tablename__ = "schedule_intervals"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    agent: Mapped[Agent] = relationship(back_populates="schedule")


class ScheduleException(Base):
    """A dated change to an agent's week: an extra opening, or a closure (whole day when no times)."""

    __tablename__ = "schedule_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # "opening" or "closure"
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(200), default="")


class ClosedDay(Base):
    """An extra closed day beyond public holidays, for a whole client, one zone or one agent."""

    __tablename__ = "closed_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Unavailability(Base):
    """A period in which an agent, a zone or the whole client takes no meetings (rule 6)."""

    __tablename__ = "unavailabilities"
    __table_args__ = (Index("ix_unavailabilities_client_end", "client_id", "end_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), default="")
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
