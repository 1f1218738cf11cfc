"""Reading the audit trail: the entries asked for, whether the chain is intact, and the
reasons exports gave; the reading itself is an entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, audit
from storage.models import AuditEntry


@dataclass(frozen=True)
class Trail:
    entries: list[AuditEntry]
    broken: int | None  # the first entry whose hash does not match (tampering), if any
    reasons: dict[int, str]  # entry id -> the reason an export gave


async def history(session: AsyncSession, customer_id: int, *, limit: int, reader: str,
                  channel: str, now: datetime) -> tuple[list[AuditEntry], dict[str, str]]:
    """Who touched a customer's record, newest first, and the staff among them by name
    (the reading is an entry too)."""
    entries = list(await audit.entries(session, customer_id=customer_id, limit=limit))
    await audit.append(session, at=now, actor=reader, action="audit.read", entity="customer",
                       entity_id=customer_id, channel=channel)
    staff = {f"tg:{u.telegram_id}": u.name for u in await accounts.staff_by_keys(
        session, {e.actor for e in entries})}
    return entries, staff


async def read(session: AsyncSession, *, customer_id: int | None, actor: str | None,
               user_id: int | None, since: datetime | None, limit: int, reader: str,
               channel: str, now: datetime) -> Trail:
    rows = await audit.entries(session, customer_id=customer_id, actor=actor, user_id=user_id,
                               since=since, limit=limit)
    broken = await audit.verify_chain(session)
    await audit.append(session, at=now, actor=reader, action="audit.read",
                       entity="customer" if customer_id else "audit", entity_id=customer_id,
                       channel=channel)
    return Trail(list(rows), broken, await audit.reasons_of(session, [row.id for row in rows]))
