"""Co-owners: more than one rep on a customer (seed 001: important prospects have two or
more reps in contact). The owner stays `customers.owner_id`; co-owners are extra rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from storage import affected
from storage.insert_new import insert_new
from storage.models import CoOwner, User


async def add(session: AsyncSession, customer_id: int, user_id: int, actor: str,
              now: datetime) -> bool:
    """True when added (False: already a co-owner)."""
    row = {"customer_id": customer_id, "user_id": user_id, "added_by": actor, "added_at": now}
    return await insert_new(session, CoOwner, [row], ["customer_id", "user_id"]) == 1


async def remove(session: AsyncSession, customer_id: int, user_id: int) -> bool:
    result = await session.execute(delete(CoOwner).where(
        CoOwner.customer_id == customer_id, CoOwner.user_id == user_id))
    return affected.rows(result) > 0


async def of_customer(session: AsyncSession, customer_id: int) -> list[User]:
    return list(await session.scalars(select(User).join(CoOwner, CoOwner.user_id == User.id)
                                      .where(CoOwner.customer_id == customer_id)
                                      .order_by(User.name)))


async def by_customer(session: AsyncSession,
                      customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """Customer id -> its co-owners' user ids, in one query."""
    wanted = list(set(customer_ids))
    found: dict[int, list[int]] = {}
    if not wanted:
        return found
    rows = await session.execute(select(CoOwner.customer_id, CoOwner.user_id)
                                 .where(CoOwner.customer_id.in_(wanted)))
    for customer_id, user_id in rows:
        found.setdefault(customer_id, []).append(user_id)
    return found


def co_owned_by(user_ids: Iterable[int]) -> Select[int]:
    """The ids of customers any of these users co-owns (a subquery for scopes)."""
    return select(CoOwner.customer_id).where(CoOwner.user_id.in_(list(user_ids)))
