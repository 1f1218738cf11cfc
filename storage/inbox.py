"""The update inbox: stored before confirmation, processed once, replied at least once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnClause

from storage import affected
from storage.among import among
from storage.channel_models import OPEN
from storage.insert_new import insert_new, insert_new_id
from storage.models import ChatEvent, InboxUpdate

# How long a worker may hold an update before another may take it (after a crash).
LEASE = timedelta(seconds=15)
# How soon an update whose chat is busy elsewhere is looked at again.
DEFER = timedelta(milliseconds=250)
# ... written into the SQL as it stands: the partial indexes over the open updates
# (storage.channel_models) serve only a query whose condition implies theirs, which a bound
# parameter (or a prepared statement's generic plan) cannot
OPEN_LITERAL: list[ColumnClause[str]] = [literal_column(f"'{status}'") for status in OPEN]
# Statements on the table itself: the ORM's bookkeeping has nothing to track for them.
TABLE: Table = InboxUpdate.__table__  # type: ignore[assignment]


EVENTS_FROM = -(2 ** 62)  # other channels' update ids: EVENTS_FROM + chat_events.id


async def new_event(session: AsyncSession, channel: str, event_id: str,
                    now: datetime) -> int | None:
    """The inbox update id for an event of another channel seen for the first time (rising
    in the order events arrive, below -2**61, far from Telegram's); None for one seen before
    (Feishu sends an event again when it did not get our answer in time)."""
    row = await insert_new_id(session, ChatEvent, {"channel": channel, "event_id": event_id,
                                                   "received_at": now}, "channel", "event_id")
    return None if row is None else EVENTS_FROM + row


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to (updates of one chat are processed in order). An update
    of another channel (Feishu) carries its chat account id as it was stored."""
    if isinstance(payload.get("chat_id"), int):
        return int(payload["chat_id"])
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = payload.get(key)
        if not isinstance(part, dict):
            continue
        chat = part.get("chat") or (part.get("message") or {}).get("chat") or {}
        if "id" in chat:
            return int(chat["id"])
        sender = part.get("from") or {}
        if "id" in sender:
            return int(sender["id"])
    return None


async def store(session: AsyncSession, payloads: Sequence[dict[str, Any]], now: datetime) -> None:
    """Insert updates not seen before (a redelivered update_id is ignored)."""
    if not payloads:
        return
    rows = [{"update_id": int(p["update_id"]), "chat_id": chat_of(p), "payload": p,
             "status": "pending", "attempts": 0, "next_attempt_at": now, "received_at": now}
            for p in payloads]
    await insert_new(session, InboxUpdate, rows, ["update_id"])


@dataclass(frozen=True, slots=True)
class Claimed:
    update_id: int
    chat_id: int | None
    status: str  # "pending": to handle; "replying": handled, its reply still to send
    reply: Any
    # an earlier update of the same chat is not done (another process has it, or it waits
    # for a retry): this chat waits, so its answers and replies keep their order
    earlier_open: bool


async def claim(session: AsyncSession, now: datetime, limit: int = 200) -> list[Claimed]:
    """Lease a batch of due updates, oldest first (other processes skip leased rows).
    Their payloads are not read: the caller has most of them in hand (`payloads`)."""
    rows = [Claimed(*row) for row in (await session.execute(due(now, limit))).all()]
    if rows:
        await session.execute(update(TABLE).where(among(session, TABLE.c.update_id,
                                                        [r.update_id for r in rows]))
                              .values(lease_until=now + LEASE))
    return rows


def due(now: datetime, limit: int) -> Select[tuple[int, int | None, str, Any, bool]]:
    """The due updates, locked (skipping those another process holds), each with whether an
    earlier update of its chat is still open."""
    earlier = aliased(InboxUpdate)
    waiting = (select(earlier.update_id)
               .where(earlier.chat_id == InboxUpdate.chat_id,
                      earlier.update_id < InboxUpdate.update_id,
                      earlier.status.in_(OPEN_LITERAL))
               .exists())
    query = (select(InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.status,
                    InboxUpdate.reply, waiting)
             .where(InboxUpdate.status.in_(OPEN_LITERAL), InboxUpdate.next_attempt_at <= now,
                    (InboxUpdate.lease_until.is_(None)) | (InboxUpdate.lease_until < now))
             .order_by(InboxUpdate.update_id).limit(limit)
             .with_for_update(of=InboxUpdate, skip_locked=True))
    return query


async def payloads(session: AsyncSession, update_ids: Sequence[int]) -> dict[int, Any]:
    """The updates as Telegram sent them."""
    if not update_ids:
        return {}
    rows = await session.execute(select(TABLE.c.update_id, TABLE.c.payload)
                                 .where(among(session, TABLE.c.update_id, update_ids)))
    return {update_id: payload for update_id, payload in rows}


async def defer(session: AsyncSession, update_ids: Sequence[int], now: datetime) -> None:
    """Give leased updates back, to be taken again shortly (their chat is busy elsewhere)."""
    if update_ids:
        await session.execute(update(TABLE).where(among(session, TABLE.c.update_id, update_ids))
                              .values(lease_until=None, next_attempt_at=now + DEFER))


async def replying(session: AsyncSession, replies: dict[int, Any]) -> None:
    """Handled: each update's reply is stored with everything the update changed."""
    if replies:
        await session.execute(
            update(TABLE).where(TABLE.c.update_id == bindparam("id"))
            .values(status="replying", reply=bindparam("actions")),
            [{"id": update_id, "actions": reply} for update_id, reply in replies.items()])


async def mark_done(session: AsyncSession, update_ids: Sequence[int], now: datetime) -> None:
    if update_ids:
        await session.execute(update(TABLE).where(among(session, TABLE.c.update_id, update_ids))
                              .values(status="done", done_at=now, lease_until=None))


async def retry_later(session: AsyncSession, update_id: int, now: datetime, error: str,
                      max_attempts: int = 8) -> None:
    row = await session.get(InboxUpdate, update_id)
    if row is None:
        return
    row.attempts += 1
    row.error = error[:2000]
    row.lease_until = None
    if row.attempts >= max_attempts:
        row.status = "failed"
    else:
        row.next_attempt_at = now + timedelta(seconds=min(2 ** row.attempts, 300))


# How long a handled update is kept: Telegram sends an update again only until it is
# confirmed (minutes), Feishu retries an event for hours; a week leaves room to look back.
KEEP_DONE = timedelta(days=7)


async def purge_done(session: AsyncSession, now: datetime, limit: int = 20_000) -> int:
    """Forget updates handled more than `KEEP_DONE` ago, and the ids of other channels'
    events received as long ago (those kept only to ignore one sent again), at most `limit`
    of each: what people typed does not stay in the inbox, and the table stops growing.
    Updates that failed stay, to be looked at. Returns how many updates went."""
    before = now - KEEP_DONE
    old = (select(TABLE.c.update_id).where(TABLE.c.status == "done", TABLE.c.done_at < before)
           .limit(limit).scalar_subquery())
    gone = await session.execute(delete(TABLE).where(TABLE.c.update_id.in_(old)))
    events: Table = ChatEvent.__table__  # type: ignore[assignment]
    seen = (select(events.c.id).where(events.c.received_at < before).limit(limit)
            .scalar_subquery())
    await session.execute(delete(events).where(events.c.id.in_(seen)))
    return affected.rows(gone)


async def release_all(session: AsyncSession) -> None:
    """Forget every lease: only for a start-up where no other worker can be running."""
    await session.execute(update(InboxUpdate).where(InboxUpdate.lease_until.is_not(None))
                          .values(lease_until=None))
