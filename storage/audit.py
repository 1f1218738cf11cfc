"""The audit trail: append-only, each entry chained to the previous one by hash.

Entries name records and fields, never their contents, so the log itself holds no
personal data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, cast, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AccessReason, AuditEntry, CustomerMerge, Interview, Invite

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, action: str, entity: str,
            entity_id: str | None, fields: Sequence[str], channel: str, outcome: str) -> str:
    payload = json.dumps([prev_hash, at.isoformat(), actor, action, entity, entity_id,
                          list(fields), channel, outcome], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


TAIL = "audit_tail"  # session.info: (transaction, hash of the last entry it appended)


async def _tail(session: AsyncSession) -> tuple[object, str]:
    """The hash to chain onto. Read once per transaction (or savepoint): while it is open
    nobody else appends (the advisory lock on PostgreSQL, the write lock on SQLite)."""
    sync = session.sync_session
    scope = sync.get_nested_transaction() or sync.get_transaction()
    cached = session.info.get(TAIL)
    if cached is not None and cached[0] is scope:
        return scope, str(cached[1])
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # one appender at a time, or two could chain onto the same predecessor
        await session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    last = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return scope, last or GENESIS


async def append(session: AsyncSession, *, at: datetime, actor: str, action: str, entity: str,
                 entity_id: str | int | None, channel: str, fields: Sequence[str] = (),
                 outcome: str = "ok") -> AuditEntry:
    """Add an entry; it is written with the caller's next flush or commit, in order."""
    scope, prev = await _tail(session)
    ident = None if entity_id is None else str(entity_id)
    entry = AuditEntry(at=at, actor=actor, action=action, entity=entity, entity_id=ident,
                       fields=list(fields), channel=channel, outcome=outcome, prev_hash=prev,
                       hash=_digest(prev, at, actor, action, entity, ident, fields, channel,
                                    outcome))
    session.add(entry)
    session.info[TAIL] = (scope, entry.hash)
    return entry


async def append_many(session: AsyncSession, *, at: datetime, actor: str, channel: str,
                      entries: Sequence[tuple[str, str, str | int, Sequence[str]]]) -> None:
    """Many entries (action, entity, entity id, fields) at once, chained in order: one
    INSERT, not one ORM object each (an import writes one per row)."""
    if not entries:
        return
    scope, prev = await _tail(session)
    rows = []
    for action, entity, entity_id, fields in entries:
        ident = str(entity_id)
        digest = _digest(prev, at, actor, action, entity, ident, fields, channel, "ok")
        rows.append({"at": at, "actor": actor, "action": action, "entity": entity,
                     "entity_id": ident, "fields": list(fields), "channel": channel,
                     "outcome": "ok", "prev_hash": prev, "hash": digest})
        prev = digest
    # ids in the order given (the chain's order), on PostgreSQL as on SQLite
    await session.execute(insert(AuditEntry).returning(AuditEntry.id,
                                                       sort_by_parameter_order=True), rows)
    session.info[TAIL] = (scope, prev)


async def verify_chain(session: AsyncSession) -> int | None:
    """The id of the first entry whose hash does not match its content, or None if intact."""
    prev = GENESIS
    for entry in await session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        expected = _digest(prev, entry.at, entry.actor, entry.action, entry.entity,
                           entry.entity_id, entry.fields, entry.channel, entry.outcome)
        if entry.prev_hash != prev or entry.hash != expected:
            return entry.id
        prev = entry.hash
    return None


async def entries(session: AsyncSession, *, customer_id: int | None = None,
                  actors: Sequence[str] = (), user_id: int | None = None,
                  since: datetime | None = None, limit: int = 200) -> list[AuditEntry]:
    """Entries, newest first. A customer's include those about its interviews and invites,
    and those about the duplicates merged into it; a user's are what they did (`actor`)
    and what was done to their account (`user_id`); `actors`: every name they
    went by (storage.accounts.actors_of)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if customer_id is not None:
        interviews = select(cast(Interview.id, String)).where(
            Interview.customer_id == customer_id)
        invites = select(cast(Invite.id, String)).where(Invite.customer_id == customer_id)
        merged = select(cast(CustomerMerge.from_id, String)).where(
            CustomerMerge.into_id == customer_id)
        query = query.where(or_(
            and_(AuditEntry.entity == "customer", AuditEntry.entity_id == str(customer_id)),
            and_(AuditEntry.entity == "customer", AuditEntry.entity_id.in_(merged)),
            and_(AuditEntry.entity == "interview", AuditEntry.entity_id.in_(interviews)),
            and_(AuditEntry.entity == "invite", AuditEntry.entity_id.in_(invites))))
    if actors or user_id is not None:
        mine: list[ColumnElement[bool]] = [AuditEntry.actor.in_(list(actors))] if actors else []
        if user_id is not None:
            mine.append(and_(AuditEntry.entity == "user", AuditEntry.entity_id == str(user_id)))
        query = query.where(or_(*mine))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(await session.scalars(query))


async def record_reason(session: AsyncSession, entry: AuditEntry, reason: str) -> None:
    """The reason given for an access (seed 001: copying customer data needs a registered
    reason), tied to its entry; free text, so stored encrypted beside the chain."""
    await session.flush()
    session.add(AccessReason(audit_id=entry.id, reason=reason))


async def reasons_of(session: AsyncSession, entry_ids: Sequence[int]) -> dict[int, str]:
    if not entry_ids:
        return {}
    rows = await session.execute(select(AccessReason.audit_id, AccessReason.reason)
                                 .where(AccessReason.audit_id.in_(list(entry_ids))))
    return {audit_id: reason for audit_id, reason in rows}


def describe(entry: AuditEntry, actor_name: str | None = None) -> str:
    """One line per entry: when, who, what, on which record, which fields, how, outcome."""
    fields = f" [{', '.join(entry.fields)}]" if entry.fields else ""
    target = entry.entity + (f"#{entry.entity_id}" if entry.entity_id else "")
    who = f"{actor_name} ({entry.actor})" if actor_name else entry.actor
    return (f"{entry.at:%Y-%m-%d %H:%M}Z  {who}  {entry.action}  {target}{fields}  "
            f"{entry.channel}  {entry.outcome}")
