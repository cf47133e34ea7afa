"""The confirmation calls of the day (rule 3) and the daily mails already sent."""
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.appointments.models import Appointment
from portal.db import Base, UTCDateTime
from portal.accounts.models import User


class ConfirmationCall(Base):
    """One appointment of tomorrow on the day's confirmation worklist (rule 3), and how its call went."""

    __tablename__ = "confirmation_calls"
    # The worklist is today's calls of every client: by work_date alone (migration 0016).
    __table_args__ = (UniqueConstraint("appointment_id", "work_date"),
                      Index("ix_confirmation_calls_client_work_date", "client_id", "work_date"),
                      Index("ix_confirmation_calls_work_date", "work_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    work_date: Mapped[date] = mapped_column(Date)  # the day of the call, client time; the meeting is the next day
    state: Mapped[str] = mapped_column(String(12), default="open")  # open, not_reached, done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(12), nullable=True)  # confirmed, postponed, disowned
    notes: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False)

    appointment: Mapped[Appointment] = relationship()
    by: Mapped[User | None] = relationship()


class SentMail(Base):
    """A mail of the daily work that has left: its unique key is what a second run meets."""

    __tablename__ = "sent_mails"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # agenda, reminder
    key: Mapped[str] = mapped_column(String(100))  # agenda: agent:day; reminder: appointment:start
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    sent_at = mapped_column(UTCDateTime, nullable=False)

