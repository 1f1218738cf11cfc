"""Tables of the team's other systems: the webhook endpoints an admin registered, the outbox
of events (written in the transaction of the change that caused each), one delivery per
event and endpoint, and the read API's tokens. `storage.models` re-exports them; every
change needs an Alembic migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.crypto import EncryptedJSON, EncryptedText


class HookEndpoint(Base):
    """A URL that receives events (`interview-bot hooks add`). `since_event`: the newest
    outbox event when it was added; it receives the events after that one."""

    __tablename__ = "hook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(default=list)  # kinds, or ["*"]
    secret: Mapped[str] = mapped_column(EncryptedText())  # signs; shown once when added
    personal: Mapped[bool] = mapped_column(Boolean, default=False)  # gets contacts' data
    status: Mapped[str] = mapped_column(String(8))  # active | paused | removed
    since_event: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OutboxEvent(Base):
    """One event, in the order the changes happened. `data` goes to every subscribed
    endpoint, `personal` only to those marked for personal data; both encrypted at rest
    (answers are what people typed). Erasing a customer deletes their events."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_fanned_out", "fanned_out", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)  # "evt_…": idempotency key
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)  # outlives the row
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    personal: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON())
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)  # deliveries made
    created_at: Mapped[datetime]


class HookDelivery(Base):
    """One event to one endpoint: pending (claimed with a lease while in flight) → sent, or
    dead after 24 hours of failures or an answer that a retry cannot change; a dead one can
    be replayed. Per endpoint and customer one is pending at a time, the rest waiting behind
    it in order (storage.outbox.fan_out, promote)."""

    __tablename__ = "hook_deliveries"
    __table_args__ = (
        Index("ix_hook_deliveries_queue", "endpoint_id", "status", "id"),  # claiming
        Index("ix_hook_deliveries_customer", "endpoint_id", "customer_key", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("hook_endpoints.id"))
    customer_key: Mapped[int] = mapped_column(Integer)  # the event's customer, or 0
    # pending (may go now) | waiting (behind its customer's open one) | sent | dead | cancelled
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A key to the read API (`interview-bot api token add`): it reads what its user may
    see (a rep their customers, a manager the team's, an admin all). Only its hash is
    kept; it expires, and can be revoked."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))  # what it is for: "CRM sync"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
