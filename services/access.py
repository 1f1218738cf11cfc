"""Which customers a member of staff may see and act on, the same for every door (bot,
dashboard, CLI): a rep their own and co-owned, a manager their team's and the unowned, an
admin all."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import co_owners
from storage.models import Customer, User


async def team_ids(session: AsyncSession, manager: User) -> set[int]:
    rows = await session.scalars(select(User.id).where(User.manager_id == manager.id))
    return {manager.id, *rows}


async def can_see(session: AsyncSession, user: User, customer: Customer) -> bool:
    """Least privilege: reps their own customers, managers their team's, admins all.
    A customer nobody owns yet is seen by managers and admins, who give it an owner
    (`/reassign`, `customers assign`); not by every rep (its contacts are personal data).
    A co-owner sees the customer as its owner does."""
    if user.role == "admin":
        return True
    if customer.owner_id is None:
        return user.role == "manager"
    people = await team_ids(session, user) if user.role == "manager" else {user.id}
    if customer.owner_id in people:
        return True
    return any(u.id in people for u in await co_owners.of_customer(session, customer.id))


async def visible_customers(session: AsyncSession, user: User, limit: int = 50) -> list[Customer]:
    query = select(Customer).order_by(Customer.updated_at.desc()).limit(limit)
    if user.role in ("manager", "rep"):
        people = await team_ids(session, user) if user.role == "manager" else {user.id}
        query = query.where(Customer.owner_id.in_(people)
                            | Customer.id.in_(co_owners.co_owned_by(people)))
    return list((await session.scalars(query)).all())
