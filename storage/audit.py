"""The audit trail: append-only, each entry chained to the previous one by hash.

Entries name records and fields, never their contents, so the log itself holds no
personal data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, action: str, entity: str,
            entity_id: str | None, fields: Sequence[str], channel: str, outcome: str) -> str:
    payload = json.dumps([prev_hash, at.isoformat(), actor, action, entity, entity_id,
                          list(fields), channel, outcome], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


async def append(session: AsyncSession, *, at: datetime, actor: str, action: str, entity: str,
                 entity_id: str | int | None, channel: str, fields: Sequence[str] = (),
                 outcome: str = "ok") -> AuditEntry:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # one appender at a time, or two could chain onto the same predecessor
        await session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    last = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev = last or GENESIS
    ident = None if entity_id is None else str(entity_id)
    entry = AuditEntry(at=at, actor=actor, action=action, entity=entity, entity_id=ident,
                       fields=list(fields), channel=channel, outcome=outcome, prev_hash=prev,
                       hash=_digest(prev, at, actor, action, entity, ident, fields, channel,
                                    outcome))
    session.add(entry)
    await session.flush()
    return entry


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
