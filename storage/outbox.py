"""The outbox of events for other systems and their deliveries: written with the change
that caused each event, fanned out to the endpoints subscribed, claimed per endpoint with
a lease (oldest first, one in flight per customer), every outcome recorded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, exists, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import affected
from storage.insert_new import insert_new
from storage.models import HookDelivery, HookEndpoint, OutboxEvent
from storage.reporting import chunks

LEASE = timedelta(seconds=60)
ALL = "*"
OPEN = ("pending", "waiting")  # pending: may go now; waiting: behind its customer's last


def add(session: AsyncSession, *, kind: str, customer_id: int | None, data: dict[str, Any],
        personal: dict[str, Any] | None, now: datetime) -> OutboxEvent:
    """An event, written with the caller's commit (never without the change, nor the change
    without it)."""
    event = OutboxEvent(event_id=f"evt_{uuid.uuid4().hex}", kind=kind, customer_id=customer_id,
                        data=data, personal=personal or None, fanned_out=False, created_at=now)
    session.add(event)
    return event


async def add_once(session: AsyncSession, *, event_id: str, kind: str,
                   customer_id: int | None, data: dict[str, Any], now: datetime) -> bool:
    """An event with an id of the caller's making: a second call with the same id (a
    step done again after a crash) adds nothing. True when added."""
    row = {"event_id": event_id, "kind": kind, "customer_id": customer_id, "data": data,
           "personal": None, "fanned_out": False, "created_at": now}
    return await insert_new(session, OutboxEvent, [row], ["event_id"]) == 1


async def newest_event(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(OutboxEvent.id))) or 0)


async def add_endpoint(session: AsyncSession, *, url: str, events: Sequence[str], secret: str,
                       personal: bool, actor: str, now: datetime) -> HookEndpoint:
    endpoint = HookEndpoint(url=url, events=list(events), secret=secret, personal=personal,
                            status="active", since_event=await newest_event(session),
                            created_by=actor, created_at=now, updated_at=now)
    session.add(endpoint)
    await session.flush()
    return endpoint


async def endpoints(session: AsyncSession, *, removed: bool = False) -> list[HookEndpoint]:
    query = select(HookEndpoint).order_by(HookEndpoint.id)
    if not removed:
        query = query.where(HookEndpoint.status != "removed")
    return list((await session.scalars(query)).all())


async def cancel_pending(session: AsyncSession, endpoint_id: int) -> int:
    """A removed endpoint's deliveries that have not gone out: cancelled."""
    result = await session.execute(
        update(HookDelivery).where(HookDelivery.endpoint_id == endpoint_id,
                                   HookDelivery.status.in_(OPEN))
        .values(status="cancelled", lease_until=None))
    return affected.rows(result)


def subscribed(endpoint: HookEndpoint, kind: str) -> bool:
    return ALL in endpoint.events or kind in endpoint.events


async def fan_out(session: AsyncSession, now: datetime, limit: int = 5000) -> int:
    """One delivery per new event and endpoint subscribed to it (endpoints added after an
    event do not get it); returns how many events were fanned out. A delivery whose
    customer already has one open at that endpoint waits behind it (`waiting`), so each
    customer's events go one at a time, in order, and claiming needs no look at the rest."""
    if session.get_bind().dialect.name == "postgresql":
        # one fan-out at a time across replicas: two would make each event's deliveries
        # twice, and out of order (SQLite has one writer anyway)
        await session.execute(text("SELECT pg_advisory_xact_lock(727002)"))
    rows = (await session.execute(
        select(OutboxEvent.id, OutboxEvent.kind, OutboxEvent.customer_id)
        .where(OutboxEvent.fanned_out.is_(False)).order_by(OutboxEvent.id).limit(limit))).all()
    if not rows:
        return 0
    deliveries = []
    for endpoint in await endpoints(session):
        mine = [(event_id, customer_id or 0) for event_id, kind, customer_id in rows
                if event_id > endpoint.since_event and subscribed(endpoint, kind)]
        busy = await _open_keys(session, endpoint.id, {key for _, key in mine})
        for event_id, key in mine:
            deliveries.append({"event_id": event_id, "endpoint_id": endpoint.id,
                               "customer_key": key, "attempts": 0, "next_at": now,
                               "created_at": now,
                               "status": "waiting" if key in busy else "pending"})
            busy.add(key)
    for chunk in chunks(deliveries, 1000):
        await session.execute(insert(HookDelivery), chunk)
    ids = [row[0] for row in rows]
    for id_chunk in chunks(ids):
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(id_chunk))
                              .values(fanned_out=True))
    return len(rows)


async def _open_keys(session: AsyncSession, endpoint_id: int, keys: set[int]) -> set[int]:
    """Of these customers, those with a delivery still open (pending or waiting) here."""
    found: set[int] = set()
    for chunk in chunks(sorted(keys)):
        found.update(await session.scalars(
            select(HookDelivery.customer_key).distinct()
            .where(HookDelivery.endpoint_id == endpoint_id, HookDelivery.customer_key.in_(chunk),
                   HookDelivery.status.in_(OPEN))))
    return found


async def promote(session: AsyncSession, endpoint_id: int, keys: set[int],
                  now: datetime) -> None:
    """The next waiting delivery of each of these customers (theirs before went, or died)
    becomes pending."""
    for chunk in chunks(sorted(keys)):
        heads = (select(func.min(HookDelivery.id))
                 .where(HookDelivery.endpoint_id == endpoint_id,
                        HookDelivery.customer_key.in_(chunk), HookDelivery.status == "waiting")
                 .group_by(HookDelivery.customer_key))
        await session.execute(update(HookDelivery).where(HookDelivery.id.in_(heads))
                              .values(status="pending", next_at=now)
                              .execution_options(synchronize_session=False))


@dataclass
class Claimed:
    delivery: HookDelivery
    event: OutboxEvent


async def claim(session: AsyncSession, endpoint_id: int, now: datetime, limit: int,
                lease: timedelta = LEASE) -> list[Claimed]:
    """The endpoint's due deliveries (each the head of its customer's queue), oldest
    first, leased."""
    query = (select(HookDelivery, OutboxEvent)
             .join(OutboxEvent, OutboxEvent.id == HookDelivery.event_id)
             .where(HookDelivery.endpoint_id == endpoint_id, HookDelivery.status == "pending",
                    HookDelivery.next_at <= now,
                    HookDelivery.lease_until.is_(None) | (HookDelivery.lease_until < now))
             .order_by(HookDelivery.id).limit(limit)
             .with_for_update(skip_locked=True, of=HookDelivery))
    found = [Claimed(delivery, event) for delivery, event in (await session.execute(query)).all()]
    if found:
        await session.execute(update(HookDelivery).where(
            HookDelivery.id.in_([c.delivery.id for c in found])).values(lease_until=now + lease)
            .execution_options(synchronize_session=False))
    return found


async def release_leases(session: AsyncSession) -> None:
    """At the start of the only dispatcher (SQLite's lock): every lease is a dead one's."""
    await session.execute(update(HookDelivery).where(HookDelivery.status == "pending",
                                                     HookDelivery.lease_until.is_not(None))
                          .values(lease_until=None))


async def record(session: AsyncSession, outcomes: Sequence[dict[str, Any]]) -> None:
    """Outcomes of claimed deliveries: each a dict of `id`, `status`, `attempts`, `next_at`,
    `last_error`, `sent_at`, in one statement."""
    if not outcomes:
        return
    table = HookDelivery.__table__
    assert isinstance(table, Table)
    statement = (update(table).where(table.c.id == bindparam("b_id"))
                 .values(status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                         next_at=bindparam("b_next_at"), last_error=bindparam("b_last_error"),
                         sent_at=bindparam("b_sent_at"), lease_until=None))
    await session.execute(statement, [{f"b_{k}": v for k, v in o.items()} for o in outcomes])


async def dead(session: AsyncSession, endpoint_id: int | None = None,
               limit: int = 200) -> list[tuple[HookDelivery, OutboxEvent]]:
    query = (select(HookDelivery, OutboxEvent)
             .join(OutboxEvent, OutboxEvent.id == HookDelivery.event_id)
             .where(HookDelivery.status == "dead").order_by(HookDelivery.id).limit(limit))
    if endpoint_id is not None:
        query = query.where(HookDelivery.endpoint_id == endpoint_id)
    return [(d, e) for d, e in (await session.execute(query)).all()]


async def replay(session: AsyncSession, delivery_ids: Sequence[int], now: datetime) -> int:
    """Dead deliveries back in the queue, as new (attempts from zero): behind what is
    open for the same customer at that endpoint, if anything is."""
    dead = list((await session.scalars(select(HookDelivery).where(
        HookDelivery.id.in_(list(delivery_ids)), HookDelivery.status == "dead"))).all())
    for delivery in dead:
        busy = await _open_keys(session, delivery.endpoint_id, {delivery.customer_key})
        delivery.status = "waiting" if busy else "pending"
        delivery.attempts, delivery.next_at, delivery.lease_until = 0, now, None
    return len(dead)


async def forget_customer(session: AsyncSession, customer_id: int) -> int:
    """An erased customer's events, delivered or not, and their deliveries."""
    events = select(OutboxEvent.id).where(OutboxEvent.customer_id == customer_id)
    await session.execute(delete(HookDelivery).where(HookDelivery.event_id.in_(events)))
    result = await session.execute(delete(OutboxEvent).where(
        OutboxEvent.customer_id == customer_id))
    return affected.rows(result)


async def prune(session: AsyncSession, before: datetime) -> int:
    """Events older than `before` with nothing left to deliver (none pending, none dead),
    with their deliveries."""
    open_ = exists().where(HookDelivery.event_id == OutboxEvent.id,
                           HookDelivery.status.in_((*OPEN, "dead")))
    old = select(OutboxEvent.id).where(OutboxEvent.created_at < before,
                                       OutboxEvent.fanned_out.is_(True), ~open_)
    ids = list((await session.scalars(old)).all())
    for chunk in chunks(ids):
        await session.execute(delete(HookDelivery).where(HookDelivery.event_id.in_(chunk)))
        await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(chunk)))
    return len(ids)


async def counts(session: AsyncSession) -> dict[tuple[int, str], int]:
    """Deliveries per endpoint and status (for `hooks list`)."""
    rows = await session.execute(
        select(HookDelivery.endpoint_id, HookDelivery.status, func.count())
        .group_by(HookDelivery.endpoint_id, HookDelivery.status))
    return {(endpoint, status): int(n) for endpoint, status, n in rows.all()}
