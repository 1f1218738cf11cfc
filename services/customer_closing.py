"""Closing a customer (the deal is over): no more revisits or follow-ups, audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, reminders
from storage.models import Customer


async def close(session: AsyncSession, customer: Customer, *, actor: str, channel: str,
                now: datetime) -> None:
    customer.closed_at, customer.revisit_due_on, customer.updated_at = now, None, now
    await reminders.cancel_pending(session, customer.id, ("revisit", "follow_up"), now)
    await audit.append(session, at=now, actor=actor, action="customer.close",
                       entity="customer", entity_id=customer.id, fields=["closed_at"],
                       channel=channel)
