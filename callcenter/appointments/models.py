"""Appointments booked by the call-center into the agents' calendars."""
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agents.models import Agent, Zone
from campaigns.models import Campaign, Client
from portal.db import Base, UTCDateTime, utcnow
from portal.accounts.models import User

APPOINTMENT_STATES = ("to_confirm", "confirmed", "cancelled")
# States that hold a place in *taken* and a slot in the agent's calendar.
ACTIVE_STATES = ("to_confirm", "confirmed")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("client_id", "number"),
        # The folders' lists page by keyset on (start_at, id) (migration 0015): one index range per page.
        Index("ix_appointments_client_start_id", "client_id", "start_at", "id"),
        Index("ix_appointments_agent_start_id", "agent_id", "start_at", "id"),
        Index("ix_appointments_zone_start_id", "zone_id", "start_at", "id"),
        Index("ix_appointments_agent_state", "agent_id", "state"),
        Index("ix_appointments_zone_state", "zone_id", "state"),
        Index("ix_appointments_campaign_state", "campaign_id", "state"),
        # The campaign's list, reports and exports over a date range.
        Index("ix_appointments_campaign_start_id", "campaign_id", "start_at", "id"),
        # The confirmation worklist: tomorrow's appointments still to confirm, all clients.
        Index("ix_appointments_state_start", "state", "start_at"),
        Index("ix_appointments_rescheduling_start", "needs_rescheduling", "start_at"),
        # The account managers' dashboard: bookings of a campaign over the last days (burn rate).
        Index("ix_appointments_campaign_created", "campaign_id", "created_at"),
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
    # The rest of the prospect (spec §2), optional: the agent's agenda and calendar show the address.
    prospect_company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prospect_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    prospect_province: Mapped[str | None] = mapped_column(String(2), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    # Booked outside the agent's schedule by someone allowed to (rule 9): kept for the record.
    out_of_schedule: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_at = mapped_column(UTCDateTime, nullable=True)
    # Rule 4: once the agent has contacted the prospect, the appointment stays valid.
    contacted_at = mapped_column(UTCDateTime, nullable=True)
    disowned_at = mapped_column(UTCDateTime, nullable=True)
    cancelled_at = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(40), default="")
    outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    outcome_notes: Mapped[str] = mapped_column(Text, default="")
    # Rule 6: an unavailability declared over it asks the call-center to move it.
    needs_rescheduling: Mapped[bool] = mapped_column(Boolean, default=False)
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

    @property
    def place(self):
        """Where the agent goes, on one line: the prospect's address (else a campaign field named
        address, as campaigns asked for it before the prospect had one), postal code and province."""
        extra = self.fields or {}
        street = self.prospect_address or extra.get("address") or extra.get("indirizzo")
        area = " ".join(part for part in (self.prospect_postal_code, self.prospect_province) if part)
        return ", ".join(str(part) for part in (street, area) if part)


class FolderCounter(Base):
    """The boxes of the zone and agent folders (spec §4): taken, to_confirm and cancelled of one
    agent's appointments in one zone, kept by the services like the campaign's counters
    (callcenter.appointments.counters), so a folder home reads a few rows instead of counting its
    appointments.

    One row per (agent, zone) pair rather than columns on ``agents`` and ``zones``: a zone folder sums
    its rows (one per agent who met its prospects), an agent folder sums the agent's rows, and a
    zone manager looking at an agent who also works in other zones sums only the rows of the zones
    he/she manages, as the folder's list shows only those appointments. A booking moves one row (not
    an agent's and a zone's), the row of the agent it has locked already. The rows come into being
    with the first appointment of the pair (an upsert).

    ``zone_id`` is 0 for the appointments without a zone (an import for an agent of no zone), hence
    no foreign key on it; zones are never deleted by the portal."""

    __tablename__ = "folder_counters"
    __table_args__ = (Index("ix_folder_counters_zone_id", "zone_id"),)

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    to_confirm: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)


OUTCOMES = ("held", "no_show", "excused")
REQUEST_STATES = ("pending", "approved", "rejected")


class CancellationRequest(Base):
    """A client's request to cancel an appointment, decided by an account manager (rule 5)."""

    __tablename__ = "cancellation_requests"
    # The dashboard counts the pending ones; they are few among all the decided.
    __table_args__ = (Index("ix_cancellation_requests_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at = mapped_column(UTCDateTime, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at = mapped_column(UTCDateTime, nullable=True)
    decision_notes: Mapped[str] = mapped_column(Text, default="")

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Recovery(Base):
    """A replacement appointment owed to the client for a cancelled one (rule 11)."""

    __tablename__ = "recoveries"
    __table_args__ = (Index("ix_recoveries_campaign_state", "campaign_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    cancelled_appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(10), default="owed")  # owed, released, booked
    replacement_appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    released_at = mapped_column(UTCDateTime, nullable=True)

    cancelled_appointment: Mapped[Appointment] = relationship(foreign_keys=[cancelled_appointment_id])
    replacement: Mapped[Appointment | None] = relationship(foreign_keys=[replacement_appointment_id])


