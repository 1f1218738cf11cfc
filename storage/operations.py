"""The queues as an operator watches them: what waits in the inbox and the reminder queue.
Three indexed counts, read when /metrics is scraped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbox
from storage.models import InboxUpdate, Reminder

LATE = timedelta(minutes=5)


@dataclass(frozen=True)
class Queues:
    inbox_pending: int
    inbox_lag_seconds: float
    reminders_pending: int
    reminders_failed_24h: int
    reminders_late: int


async def queues(session: AsyncSession, now: datetime) -> Queues:
    pending, oldest = (await session.execute(
        select(func.count(), func.min(InboxUpdate.received_at))
        .where(InboxUpdate.status.in_(inbox.OPEN_LITERAL)))).one()
    waiting, late = (await session.execute(
        select(func.count(), func.count().filter(Reminder.due_at < now - LATE))
        .where(Reminder.status == "pending"))).one()
    failed = await session.scalar(select(func.count()).where(
        Reminder.status == "failed", Reminder.updated_at >= now - timedelta(hours=24)))
    if oldest is not None and oldest.tzinfo is None:  # SQLite through a raw aggregate
        oldest = oldest.replace(tzinfo=now.tzinfo)
    lag = (now - oldest).total_seconds() if oldest is not None else 0.0
    return Queues(int(pending), max(lag, 0.0), int(waiting), int(failed or 0), int(late))
