"""The audit trail: append-only, each entry chained to the previous one by hash.

Entries name records and fields, never their contents, so the log itself holds no
personal data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, event, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from storage.deferred import scope_of, within
from storage.models import AccessReason, AuditEntry, CustomerMerge, Interview, Invite

GENESIS = "0" * 64
TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]


def _digest(prev_hash: str, at: datetime, actor: str, action: str, entity: str,
            entity_id: str | None, fields: Sequence[str], channel: str, outcome: str) -> str:
    payload = json.dumps([prev_hash, at.isoformat(), actor, action, entity, entity_id,
                          list(fields), channel, outcome], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


PENDING = "audit_pending"  # session.info: the entries to write at the commit, in order


@dataclass(eq=False)
class Pending:
    """An entry appended in this transaction, chained and written when it commits."""

    scope: SessionTransaction  # the (nested) transaction it was appended in
    row: dict[str, Any]
    reason: str | None = None  # the reason given for an access (`record_reason`)


def _pending(session: AsyncSession) -> list[Pending]:
    found: list[Pending] | None = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = []
    return found


def _row(at: datetime, actor: str, action: str, entity: str, entity_id: str | int | None,
         fields: Sequence[str], channel: str, outcome: str) -> dict[str, Any]:
    return {"at": at, "actor": actor, "action": action, "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id), "fields": list(fields),
            "channel": channel, "outcome": outcome}


async def append(session: AsyncSession, *, at: datetime, actor: str, action: str, entity: str,
                 entity_id: str | int | None, channel: str, fields: Sequence[str] = (),
                 outcome: str = "ok") -> Pending:
    """Add an entry. It is chained and written when the transaction commits (one appender
    at a time only then, and only for that long: the advisory lock on PostgreSQL, the write
    lock on SQLite); one appended in a savepoint that is rolled back is not written."""
    entry = Pending(scope_of(session.sync_session),
                    _row(at, actor, action, entity, entity_id, fields, channel, outcome))
    _pending(session).append(entry)
    return entry


async def append_many(session: AsyncSession, *, at: datetime, actor: str, channel: str,
                      entries: Sequence[tuple[str, str, str | int, Sequence[str]]]) -> None:
    """Many entries (action, entity, entity id, fields) at once, chained in order (an
    import writes one per row): one INSERT with the others at the commit."""
    scope, pending = scope_of(session.sync_session), _pending(session)
    pending.extend(Pending(scope, _row(at, actor, action, entity, entity_id, fields, channel,
                                       "ok"))
                   for action, entity, entity_id, fields in entries)


def _write_pending(session: Session) -> None:
    """At the commit: take the chain's tail, chain this transaction's entries onto it and
    insert them (with the reasons given), one statement each. Ids follow the chain, as the
    lock is held from here to the commit."""
    if session.in_nested_transaction():
        return  # a savepoint released: its entries wait for the transaction's commit
    pending: list[Pending] = session.info.pop(PENDING, None) or []
    if not pending:
        return
    session.flush()  # the transaction's other writes first: the lock is held for ours only
    # Core from here, not the ORM (a tenth of a web answer's CPU went on its bookkeeping)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # one appender at a time, or two could chain onto the same predecessor
        connection.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    prev = connection.execute(select(TABLE.c.hash).order_by(TABLE.c.id.desc()).limit(1)
                              ).scalar() or GENESIS
    rows = []
    for entry in pending:
        row = entry.row
        digest = _digest(prev, row["at"], row["actor"], row["action"], row["entity"],
                         row["entity_id"], row["fields"], row["channel"], row["outcome"])
        rows.append({**row, "prev_hash": prev, "hash": digest})
        prev = digest
    # the ids are asked back only when a reason needs its entry's id
    if all(entry.reason is None for entry in pending):
        connection.execute(insert(TABLE), rows)
        return
    ids = connection.execute(insert(TABLE).returning(TABLE.c.id, sort_by_parameter_order=True),
                             rows).scalars().all()
    for audit_id, entry in zip(ids, pending, strict=True):
        if entry.reason is not None:
            session.add(AccessReason(audit_id=audit_id, reason=entry.reason))


def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    """Entries appended in a rolled-back transaction (or savepoint, or one inside it) go."""
    pending: list[Pending] | None = session.info.get(PENDING)
    if not pending:
        return

    pending[:] = [entry for entry in pending if not within(entry.scope, transaction)]


event.listen(Session, "before_commit", _write_pending)
event.listen(Session, "after_soft_rollback", _forget_rolled_back)


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


async def record_reason(session: AsyncSession, entry: Pending, reason: str) -> None:
    """The reason given for an access (seed 001: copying customer data needs a registered
    reason), tied to its entry; free text, so stored encrypted beside the chain."""
    entry.reason = reason


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
