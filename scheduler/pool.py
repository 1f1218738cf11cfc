"""The team pool's pass (公海), run with every planning: a customer its owner has not worked
on for its grade's days (flows.pool_rules) goes back to the pool of the owner's team; the
owner is warned before, and told after, with the team's manager.

Exactly once, across restarts and replicas: the release is one conditional UPDATE per grade
(only customers still owned, still untouched, not exempt) that returns what it changed, so
each customer is released, audited and announced by the one pass that changed it; the
notices carry dedupe keys.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.pool_rules import PoolRules
from storage import audit, reminders
from storage.models import CoOwner, Customer, Interview, User
from storage.reporting import chunks

ACTOR, CHANNEL = "system", "scheduler"
WORKED = func.coalesce(Customer.worked_at, Customer.created_at)


async def release_pass(session: AsyncSession, rules: PoolRules, now: datetime,
                       deliverable: Any) -> int:
    """Warn, then release; how many customers went back to the pool. `deliverable(moment,
    user)`: the moment out of the recipient's quiet hours."""
    if not rules.enabled:
        return 0
    shortest = min([*rules.release_after_days.values(), rules.release_default_days])
    horizon = now - timedelta(days=max(shortest - rules.warn_days_before, 0))
    rows = (await session.execute(
        select(Customer.id, Customer.owner_id, Customer.grade, WORKED)
        .where(Customer.owner_id.is_not(None), Customer.closed_at.is_(None),
               Customer.pool_exempt.is_(False), horizon >= WORKED))).all()
    due: dict[str | None, list[int]] = defaultdict(list)
    batch = reminders.Batch()
    owners = {u.id: u for u in await session.scalars(
        select(User).where(User.id.in_({r[1] for r in rows})))} if rows else {}
    for customer_id, owner_id, grade, worked in rows:
        release_on = worked + timedelta(days=rules.release_days(grade))
        if release_on <= now:
            due[grade].append(customer_id)
        elif release_on - timedelta(days=rules.warn_days_before) <= now:
            batch.add(kind="pool_warning",
                      dedupe_key=f"pool_warning:{customer_id}:{worked.isoformat()}",
                      due_at=deliverable(now, owners.get(owner_id or 0)), now=now,
                      customer_id=customer_id, recipient_id=owner_id,
                      payload={"release_on": release_on.date().isoformat(),
                               "days": rules.release_days(grade)})
    await batch.write(session)
    released: list[tuple[int, int, str]] = []
    for grade, ids in due.items():
        cutoff = now - timedelta(days=rules.release_days(grade))
        for chunk in chunks(ids):
            result = await session.execute(
                update(Customer).where(Customer.id.in_(chunk), Customer.owner_id.is_not(None),
                                       Customer.closed_at.is_(None),
                                       Customer.pool_exempt.is_(False), cutoff >= WORKED)
                .values(released_from=Customer.owner_id, owner_id=None, released_at=now,
                        revisit_due_on=None, updated_at=now)
                .returning(Customer.id, Customer.released_from, Customer.name)
                .execution_options(synchronize_session=False))
            released += [(cid, owner or 0, name) for cid, owner, name in result.all()]
    if released:
        await _after_release(session, released, owners, now, deliverable)
    return len(released)


async def _after_release(session: AsyncSession, released: list[tuple[int, int, str]],
                         owners: dict[int, User], now: datetime, deliverable: Any) -> None:
    """What a release takes with it: the customer's pending reminders and co-owners, the
    staff's unfinished interviews of it (a customer's own questionnaire goes on); then the
    audit, the former owner's notice and their manager's."""
    ids = [cid for cid, _, _ in released]
    await reminders.cancel_pending_of(session, ids, None, now)
    for chunk in chunks(ids):
        await session.execute(delete(CoOwner).where(CoOwner.customer_id.in_(chunk)))
        await session.execute(
            update(Interview).where(Interview.customer_id.in_(chunk),
                                    Interview.status == "active",
                                    Interview.respondent_user_id.is_not(None))
            .values(status="cancelled", updated_at=now)
            .execution_options(synchronize_session=False))
    batch = reminders.Batch()
    by_manager: dict[int, list[str]] = defaultdict(list)
    day = now.date().isoformat()
    await audit.append_many(session, at=now, actor=ACTOR, channel=CHANNEL, entries=[
        ("customer.release", "customer", cid, [f"from:user:{owner_id}"])
        for cid, owner_id, _ in released])
    for customer_id, owner_id, name in released:
        owner = owners.get(owner_id)
        batch.add(kind="pool_released", dedupe_key=f"pool_released:{customer_id}:{day}",
                  due_at=deliverable(now, owner), now=now, customer_id=customer_id,
                  recipient_id=owner_id, payload={})
        if owner is not None and owner.manager_id is not None:
            by_manager[owner.manager_id].append(name)
    managers = {u.id: u for u in await session.scalars(
        select(User).where(User.id.in_(list(by_manager))))} if by_manager else {}
    for manager_id, names in by_manager.items():
        batch.add(kind="pool_team", dedupe_key=f"pool_team:{manager_id}:{now.isoformat()}",
                  due_at=deliverable(now, managers.get(manager_id)), now=now,
                  recipient_id=manager_id,
                  payload={"count": len(names), "customers": names[:20]})
    await batch.write(session)
