"""Tables of what comes before the next call: deal warnings as they began and ended (for the
reports' "how long at risk"), and meetings a rep set (/meet, or a debrief's next contact),
each with the brief that goes out before it. `storage.models` re-exports them; every change
needs an Alembic migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class DealWarningRow(Base):
    """One warning (flows.deal_warnings) on one customer, from when the warnings pass first
    saw it until the pass saw it gone. At most one open row per customer and kind (a second
    replica's pass inserting the same one does nothing)."""

    __tablename__ = "deal_warnings"
    __table_args__ = (
        Index("uq_deal_warnings_open", "customer_id", "kind", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_deal_warnings_open_kind", "ended_at", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    days: Mapped[int] = mapped_column(Integer, default=0)  # as last seen (flows: DealWarning)
    count: Mapped[int] = mapped_column(Integer, default=0)
    began_at: Mapped[datetime]
    seen_at: Mapped[datetime]  # the last pass that saw it
    ended_at: Mapped[datetime | None]


class Meeting(Base):
    """A meeting with a customer: its owner gets the brief `brief_lead_minutes` before.
    Moving it moves the brief; cancelling it drops the brief."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(default=False)  # a debrief's next contact date
    status: Mapped[str] = mapped_column(String(12))  # planned | cancelled
    source: Mapped[str] = mapped_column(String(12))  # meet | debrief
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
