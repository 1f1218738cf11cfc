"""The reminder queue: scheduled idempotently, claimed with a lease, every outcome recorded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import affected
from storage.insert_new import insert_new
from storage.models import Customer, DigestSent, Reminder, User
from storage.reporting import chunks

LEASE = timedelta(seconds=60)
OPEN = ("pending",)


def _row(*, kind: str, dedupe_key: str, due_at: datetime, now: datetime,
         payload: dict[str, Any] | None = None, customer_id: int | None = None,
         recipient_id: int | None = None, recipient_chat: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "dedupe_key": dedupe_key[:120], "due_at": due_at, "status": "pending",
            "customer_id": customer_id, "recipient_id": recipient_id,
            "recipient_chat": recipient_chat, "payload": payload or {}, "attempts": 0,
            "created_at": now, "updated_at": now}


async def schedule(session: AsyncSession, *, kind: str, dedupe_key: str, due_at: datetime,
                   now: datetime, payload: dict[str, Any] | None = None,
                   customer_id: int | None = None, recipient_id: int | None = None,
                   recipient_chat: int | None = None) -> bool:
    """Add a reminder unless one with the same dedupe key exists; True when added."""
    row = _row(kind=kind, dedupe_key=dedupe_key, due_at=due_at, now=now, payload=payload,
               customer_id=customer_id, recipient_id=recipient_id,
               recipient_chat=recipient_chat)
    return await insert_new(session, Reminder, [row], ["dedupe_key"]) == 1


class Batch:
    """Reminders a pass plans, scheduled as `schedule` would (a taken dedupe key: not added)
    but written a thousand to a statement when the pass is done with them: a planning pass
    over 20,000 customers must not cost a round trip per reminder."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, *, kind: str, dedupe_key: str, due_at: datetime, now: datetime,
            payload: dict[str, Any] | None = None, customer_id: int | None = None,
            recipient_id: int | None = None, recipient_chat: int | None = None) -> None:
        self.rows.append(_row(kind=kind, dedupe_key=dedupe_key, due_at=due_at, now=now,
                              payload=payload, customer_id=customer_id,
                              recipient_id=recipient_id, recipient_chat=recipient_chat))

    async def write(self, session: AsyncSession) -> None:
        rows, self.rows = self.rows, []
        for chunk in chunks(rows, 1000):
            await insert_new(session, Reminder, chunk, ["dedupe_key"])


async def claim_due(session: AsyncSession, now: datetime, limit: int,
                    lease: timedelta = LEASE) -> list[Reminder]:
    """Lease due reminders, oldest first; other dispatchers skip what is locked or leased."""
    query = (select(Reminder)
             .where(Reminder.status == "pending", Reminder.due_at <= now,
                    (Reminder.lease_until.is_(None)) | (Reminder.lease_until < now))
             .order_by(Reminder.due_at, Reminder.id).limit(limit)
             .with_for_update(skip_locked=True))
    rows = list((await session.scalars(query)).all())
    for row in rows:
        row.lease_until = now + lease
    return rows


async def cancel_pending(session: AsyncSession, customer_id: int, kinds: Iterable[str],
                         now: datetime, keep_prefix: str | None = None) -> None:
    """Cancel the customer's pending reminders of these kinds (but those whose dedupe key
    starts with `keep_prefix`: what the same step planned before, when it runs again)."""
    await cancel_pending_of(session, [customer_id], kinds, now, keep_prefix)


async def cancel_pending_of(session: AsyncSession, customer_ids: Sequence[int],
                            kinds: Iterable[str] | None, now: datetime,
                            keep_prefix: str | None = None) -> None:
    """`cancel_pending` for many customers at once (a planning pass); `kinds` None: every
    kind (customers gone back to the team pool)."""
    for chunk in chunks(customer_ids):
        query = update(Reminder).where(Reminder.customer_id.in_(chunk),
                                       Reminder.status == "pending")
        if kinds is not None:
            query = query.where(Reminder.kind.in_(list(kinds)))
        if keep_prefix is not None:
            query = query.where(Reminder.dedupe_key.not_like(f"{keep_prefix}%"))
        await session.execute(query.values(status="cancelled", updated_at=now))


async def move_pending(session: AsyncSession, customer_ids: Sequence[int],
                       new_recipient_id: int, now: datetime,
                       from_recipient_id: int | None = None) -> int:
    """Reassignment: the customers' pending reminders (of `from_recipient_id`, if given)
    go to the new owner; managers' digests and escalations stay where they are."""
    query = update(Reminder).where(
        Reminder.customer_id.in_(list(customer_ids)), Reminder.status == "pending",
        Reminder.recipient_id.is_not(None), Reminder.kind.not_in(("digest", "escalation")))
    if from_recipient_id is not None:
        query = query.where(Reminder.recipient_id == from_recipient_id)
    result = await session.execute(query.values(recipient_id=new_recipient_id, updated_at=now))
    return affected.rows(result)


async def cancel_for_recipient(session: AsyncSession, user_id: int, now: datetime) -> int:
    """A deactivated user is told nothing more."""
    result = await session.execute(update(Reminder).where(
        Reminder.recipient_id == user_id, Reminder.status == "pending")
        .values(status="cancelled", updated_at=now, last_error="recipient deactivated"))
    return affected.rows(result)


async def cancel_for_chat(session: AsyncSession, chat_id: int, now: datetime,
                          why: str) -> None:
    """Nothing more addressed to this chat (a customer who withdrew consent)."""
    await session.execute(update(Reminder).where(
        Reminder.recipient_chat == chat_id, Reminder.status == "pending")
        .values(status="cancelled", updated_at=now, last_error=why))


async def listing(session: AsyncSession, *, due_before: datetime | None = None,
                  limit: int = 200) -> list[Reminder]:
    query = select(Reminder).where(Reminder.status == "pending")
    if due_before is not None:
        query = query.where(Reminder.due_at <= due_before)
    return list((await session.scalars(query.order_by(Reminder.due_at).limit(limit))).all())


class Overdue(NamedTuple):
    id: int
    name: str
    owner_id: int | None
    revisit_due_on: date


async def overdue_customers(session: AsyncSession, today: date,
                            owners: Iterable[int] | None = None) -> list[Overdue]:
    """Customers whose revisit is past due, most overdue first. A team's are found through
    the (owner_id, revisit_due_on) index; only the columns a digest shows are loaded
    (whole cards cost ten times as much for a team with a thousand overdue)."""
    query = select(Customer.id, Customer.name, Customer.owner_id, Customer.revisit_due_on
                   ).where(Customer.revisit_due_on < today)
    if owners is not None:
        query = query.where(Customer.owner_id.in_(list(owners)))
    rows = await session.execute(query.order_by(Customer.revisit_due_on, Customer.id))
    return [Overdue(i, name, owner, due) for i, name, owner, due in rows if due is not None]


async def released_since(session: AsyncSession, since: datetime,
                         owners: Iterable[int] | None = None) -> list[str]:
    """Names of the customers that went back to the team pool since `since` (from these
    former owners), oldest first: a line of the manager's digest."""
    query = select(Customer.name).where(Customer.released_at >= since,
                                        Customer.owner_id.is_(None))
    if owners is not None:
        query = query.where(Customer.released_from.in_(list(owners)))
    return list(await session.scalars(query.order_by(Customer.released_at, Customer.id)))


async def managers(session: AsyncSession) -> list[User]:
    return list((await session.scalars(select(User).where(
        User.role.in_(("manager", "admin")), User.active.is_(True)))).all())


async def claim_digest_day(session: AsyncSession, manager_id: int, day: date,
                           now: datetime) -> bool:
    """True for the one caller that records the manager's digest for `day` first."""
    row = {"manager_id": manager_id, "day": day, "created_at": now}
    return await insert_new(session, DigestSent, [row], ["manager_id", "day"]) == 1


async def pending_follow_ups(session: AsyncSession, customer_id: int) -> list[Reminder]:
    """The customer's pending follow-ups, newest first."""
    return list(await session.scalars(select(Reminder).where(
        Reminder.customer_id == customer_id, Reminder.kind == "follow_up",
        Reminder.status == "pending").order_by(Reminder.id.desc())))
