"""Excel exports asked for in the folders, written by a job."""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.models import Client
from portal.db import Base, UTCDateTime


EXPORT_STATES = ("queued", "running", "done", "failed")


class Export(Base):
    """An Excel export of a folder asked for by a user, written by a job with its progress (spec §7)."""

    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The folder below the client ("" for the client, "zones/milano", ...) and its appointment scope.
    folder: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[dict] = mapped_column(JSON, default=dict)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(5), default="it")
    state: Mapped[str] = mapped_column(String(10), default="queued")
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, nullable=False)
    started_at = mapped_column(UTCDateTime, nullable=True)
    finished_at = mapped_column(UTCDateTime, nullable=True)

    client: Mapped[Client] = relationship()

    @property
    def percent(self):
        if self.state == "done":
            return 100
        if not self.rows_total:
            return 0
        return min(99, 100 * self.rows_done // self.rows_total)
