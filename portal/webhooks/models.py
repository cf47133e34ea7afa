"""Webhook endpoints and their deliveries (spec §9.2).

An endpoint belongs to a client (its CRM: that client's events only) or to no client (the call-center's
dialer: every client's events). A delivery is one event for one endpoint: its body is written once, in the
transaction of the change, and sent as it is at every attempt, under the same ``webhook-id``.
"""
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime

class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list] = mapped_column(JSON, default=list)  # empty: every event
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret: Mapped[str] = mapped_column(Text)  # encrypted (portal.webhooks.keys), never in clear
    previous_secret: Mapped[str | None] = mapped_column(Text)  # still signing until previous_secret_until
    previous_secret_until = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False)
    failing_since = mapped_column(UTCDateTime, nullable=True)  # the first failure since the last success
    disabled_at = mapped_column(UTCDateTime, nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(20))  # gone (410), failing (5 days)

    def wants(self, event_type):
        return self.enabled and (not self.event_types or event_type in self.event_types or event_type == "ping")


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id: the same on every retry
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, exactly as signed
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending, retrying, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, nullable=False)
    next_attempt_at = mapped_column(UTCDateTime, nullable=True)
    delivered_at = mapped_column(UTCDateTime, nullable=True)

    endpoint: Mapped[WebhookEndpoint] = relationship()


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    response: Mapped[str] = mapped_column(String(2048), default="")  # the start of the receiver's answer
