"""The change history: who changed what, when, before → after (spec §4 "recent changes").

Every service records its change here in its own transaction, so the history
is never missing a change that happened nor holding one that did not, and each
change emits its webhook event in that same transaction (spec §9.2). The
folder columns say in which folders a change shows, so each folder's panel is
one indexed query.
"""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from portal.db import Base, UTCDateTime
from portal.accounts.models import User
from portal.webhooks.events import from_change


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (
        # A folder's newest changes by (at, id): one index range even when an import or an
        # unavailability wrote hundreds of changes at the same instant.
        Index("ix_changes_client_at_id", "client_id", "at", "id"),
        Index("ix_changes_zone_at_id", "zone_id", "at", "id"),
        Index("ix_changes_agent_at_id", "agent_id", "at", "id"),
        Index("ix_changes_campaign_at_id", "campaign_id", "at", "id"),
        Index("ix_changes_appointment_at", "appointment_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    appointment_number: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(30))  # appointment, step, unavailability, cancellation_request
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at = mapped_column(UTCDateTime, nullable=False)

    actor: Mapped[User | None] = relationship()


def record(dbsession, *, client_id, subject, action, actor, at, before=None, after=None, campaign_id=None,
           zone_id=None, agent_id=None, appointment=None):
    """Add one history line; an appointment's change shows in its agent's, zone's and campaign's folders."""
    if appointment is not None:
        campaign_id, zone_id, agent_id = appointment.campaign_id, appointment.zone_id, appointment.agent_id
    change = Change(
        client_id=client_id, campaign_id=campaign_id, zone_id=zone_id, agent_id=agent_id,
        appointment_id=appointment.id if appointment is not None else None,
        appointment_number=appointment.number if appointment is not None else None,
        subject=subject, action=action, before=before or {}, after=after or {},
        actor_id=actor.id if actor is not None else None, at=at,
    )
    dbsession.add(change)
    from_change(dbsession, change, appointment)
    return change


def recent_changes(dbsession, scope, limit=20):
    """The newest changes of a folder; ``scope`` is {column: value} as folders give it."""
    query = select(Change).options(joinedload(Change.actor))
    for column, value in scope.items():
        if isinstance(value, list):  # a zone manager in a shared agent's folder: the zones' changes and the agent's own
            query = query.where(getattr(Change, column).in_(value) | getattr(Change, column).is_(None))
        else:
            query = query.where(getattr(Change, column) == value)
    return dbsession.execute(query.order_by(Change.at.desc(), Change.id.desc()).limit(limit)).scalars().all()
