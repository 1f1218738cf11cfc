"""Reading the audit trail: the entries asked for, whether the chain is intact, and the
reasons exports gave; the reading itself is an entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, audit
from storage.models import AuditEntry, User


@dataclass(frozen=True)
class Trail:
    entries: list[AuditEntry]
    broken: int | None  # the first entry whose hash does not match (tampering), if any
    reasons: dict[int, str]  # entry id -> the reason an export gave
    names: dict[str, str]  # actor -> the staff member's name


async def history(session: AsyncSession, customer_id: int, *, limit: int, reader: str,
                  channel: str, now: datetime) -> tuple[list[AuditEntry], dict[str, str]]:
    """Who touched a customer's record, newest first, and the staff among them by name
    (the reading is an entry too)."""
    entries = list(await audit.entries(session, customer_id=customer_id, limit=limit))
    await audit.append(session, at=now, actor=reader, action="audit.read", entity="customer",
                       entity_id=customer_id, channel=channel)
    staff = {actor: user.name for actor, user in (
        await accounts.staff_named(session, {e.actor for e in entries})).items()}
    return entries, staff


async def read(session: AsyncSession, *, customer_id: int | None, user: User | None,
               since: datetime | None, limit: int, reader: str, channel: str,
               now: datetime) -> Trail:
    """Entries about a customer, or by and about a staff member (under every name they went
    by), with the people named."""
    actors = [] if user is None else await accounts.actors_of(session, user)
    rows = await audit.entries(session, customer_id=customer_id, actors=actors,
                               user_id=None if user is None else user.id, since=since,
                               limit=limit)
    broken = await audit.verify_chain(session)
    await audit.append(session, at=now, actor=reader, action="audit.read",
                       entity="customer" if customer_id else "audit", entity_id=customer_id,
                       channel=channel)
    named = await accounts.staff_named(session, {row.actor for row in rows})
    return Trail(list(rows), broken, await audit.reasons_of(session, [row.id for row in rows]),
                 {actor: person.name for actor, person in named.items()})
