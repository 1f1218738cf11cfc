"""Closing a customer (the deal is over): no more revisits, follow-ups or meetings (and so
no briefs), audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, reminders
from storage.models import Customer, Meeting


async def close(session: AsyncSession, customer: Customer, *, actor: str, channel: str,
                now: datetime) -> None:
    customer.closed_at, customer.revisit_due_on, customer.updated_at = now, None, now
    await reminders.cancel_pending(session, customer.id, ("revisit", "follow_up", "brief"), now)
    await session.execute(update(Meeting).where(Meeting.customer_id == customer.id,
                                                Meeting.status == "planned")
                          .values(status="cancelled", updated_at=now))
    await audit.append(session, at=now, actor=actor, action="customer.close",
                       entity="customer", entity_id=customer.id, fields=["closed_at"],
                       channel=channel)
