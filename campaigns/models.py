"""Clients (the tenants), their campaigns and the steps that make up the quota."""
from datetime import date

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.accounts.models import User  # noqa: F401  (the steps' creator and confirmer)

STEP_STATES = ("draft", "confirmed")


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Rome")
    country: Mapped[str] = mapped_column(String(2), default="IT")
    account_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # Appointment numbers are sequential per client; this is the last one given.
    last_appointment_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    campaigns: Mapped[list["Campaign"]] = relationship(back_populates="client", order_by="Campaign.id")


class Campaign(Base):
    """A contract of a client. The counters are kept in step with the appointments
    by the services, in the same transaction, so folder boxes never scan appointments."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("client_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    appointment_minutes: Mapped[int] = mapped_column(Integer, default=60)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=30)
    cutoff_hours: Mapped[int] = mapped_column(Integer, default=36)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=5)
    # The last step number given: never given twice, not even after a draft is deleted.
    last_step_number: Mapped[int] = mapped_column(Integer, default=0)
    # Rule 12: percentages of purchased whose crossing alerts the client and its account manager.
    alert_thresholds: Mapped[list] = mapped_column(JSON, default=lambda: [80, 90, 100])
    purchased: Mapped[int] = mapped_column(Integer, default=0)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    to_confirm: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    recovered: Mapped[int] = mapped_column(Integer, default=0)
    # Rule 11: places freed by approved cancellations stay reserved for their recoveries
    # (owed or released, not yet booked), released at most this many a day.
    recoveries_pending: Mapped[int] = mapped_column(Integer, default=0)
    recoveries_per_day: Mapped[int] = mapped_column(Integer, default=2)
    # Hours before each active appointment its agent gets a reminder mail; None: no reminders.
    reminder_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="campaigns")
    steps: Mapped[list["Step"]] = relationship(back_populates="campaign", order_by="Step.number")
    fields: Mapped[list["CampaignField"]] = relationship(
        back_populates="campaign", order_by="CampaignField.position", cascade="all, delete-orphan"
    )

    @property
    def remaining(self):
        """Places left for regular bookings: the pending recoveries keep theirs (rule 11)."""
        return max(self.purchased - self.taken - self.recoveries_pending, 0)

    @property
    def open_for_booking(self):
        return self.remaining > 0


class Step(Base):
    """One purchased batch; only confirmed steps count in *purchased*."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at = mapped_column(UTCDateTime, nullable=True)

    campaign: Mapped[Campaign] = relationship(back_populates="steps")
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])


FIELD_KINDS = ("text", "number", "choice", "date", "yes_no")


class CampaignField(Base):
    """An extra prospect field the campaign asks operators to fill in (rule 14)."""

    __tablename__ = "campaign_fields"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    help_text: Mapped[str] = mapped_column(String(500), default="")
    choices: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="fields")
