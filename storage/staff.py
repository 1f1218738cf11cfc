"""Changing staff: roles, deactivation, and moving customers between reps.

Customers belong to the company (seed 004): a rep who leaves hands every customer on
first, with the reminders and open invites that go with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, affected, audit, reminders
from storage.accounts import ROLES
from storage.models import Customer, Invite, User


class StaffError(ValueError):
    """A change that is not allowed, with what to do instead."""


async def listing(session: AsyncSession) -> list[tuple[User, int]]:
    """Every user with the number of customers they own."""
    owned = (select(Customer.owner_id, func.count().label("n"))
             .group_by(Customer.owner_id).subquery())
    rows = await session.execute(
        select(User, func.coalesce(owned.c.n, 0)).outerjoin(owned, owned.c.owner_id == User.id)
        .order_by(User.active.desc(), User.role, User.name))
    return [(user, int(count)) for user, count in rows.all()]


async def owned_count(session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(Customer).where(Customer.owner_id == user_id)) or 0)


async def set_role(session: AsyncSession, user: User, role: str, *, actor: str, channel: str,
                   now: datetime, manager_id: int | None = None) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    fields = []
    if user.role != role:
        user.role = role
        fields.append("role")
    if manager_id is not None and manager_id != user.manager_id:
        if manager_id == user.id:
            raise StaffError("a user cannot be their own manager")
        try:
            await accounts.check_manager(session, manager_id)
        except ValueError as exc:
            raise StaffError(str(exc)) from None
        user.manager_id = manager_id
        fields.append("manager")
    await audit.append(session, at=now, actor=actor, action="user.change", entity="user",
                       entity_id=user.id, fields=fields, channel=channel)


async def deactivate(session: AsyncSession, user: User, *, actor: str, channel: str,
                     now: datetime) -> None:
    """Refused while the user still owns customers: reassign them first."""
    owned = await owned_count(session, user.id)
    if owned:
        await audit.append(session, at=now, actor=actor, action="user.deactivate",
                           entity="user", entity_id=user.id, channel=channel,
                           outcome="refused")
        raise StaffError(f"{user.name} still owns {owned} customer(s); reassign them first")
    user.active = False
    await reminders.cancel_for_recipient(session, user.id, now)
    await audit.append(session, at=now, actor=actor, action="user.deactivate", entity="user",
                       entity_id=user.id, fields=["active"], channel=channel)


@dataclass
class Moved:
    customers: list[Customer] = field(default_factory=list)
    reminders: int = 0
    invites: int = 0


async def reassign(session: AsyncSession, source: User, target: User, *, actor: str,
                   channel: str, now: datetime, customer_ids: list[int] | None = None) -> Moved:
    """Move `source`'s customers (all, or those listed) to `target`, with their pending
    reminders and open invites, and tell both reps (as reminders, due now)."""
    if source.id == target.id:
        raise StaffError("the customers already belong to that person")
    if not target.active:
        raise StaffError(f"{target.name} is deactivated; choose an active colleague")
    query = select(Customer).where(Customer.owner_id == source.id).order_by(Customer.id)
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    moved = Moved(list(await session.scalars(query.with_for_update())))
    if not moved.customers:
        return moved
    ids = [c.id for c in moved.customers]
    for customer in moved.customers:
        customer.owner_id, customer.updated_at = target.id, now
        await audit.append(session, at=now, actor=actor, action="customer.reassign",
                           entity="customer", entity_id=customer.id, fields=["owner"],
                           channel=channel)
    moved.reminders = await reminders.move_pending(session, ids, target.id, now, source.id)
    result = await session.execute(
        update(Invite).where(Invite.customer_id.in_(ids), Invite.created_by == source.id,
                             Invite.revoked_at.is_(None), Invite.expires_at > now)
        .values(created_by=target.id))
    moved.invites = affected.rows(result)
    names = [c.name for c in moved.customers[:20]]
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    for person, direction, other in ((source, "out", target), (target, "in", source)):
        if person.active:
            await reminders.schedule(
                session, kind="reassigned", dedupe_key=f"reassigned:{person.id}:{stamp}",
                due_at=now, now=now, recipient_id=person.id,
                payload={"direction": direction, "other": other.name, "count": len(ids),
                         "customers": names})
    return moved


async def assign(session: AsyncSession, customers: list[Customer], target: User, *,
                 actor: str, channel: str, now: datetime) -> list[Customer]:
    """Give customers nobody owns an owner (reps cannot see them until then); their
    pending reminders go to the new owner, who is told. Returns those assigned; one that
    has an owner already is refused (that is `reassign`)."""
    if not target.active:
        raise StaffError(f"{target.name} is deactivated; choose an active colleague")
    if owned := [c for c in customers if c.owner_id is not None]:
        raise StaffError(f"{owned[0].name} (#{owned[0].id}) has an owner already: move it "
                         "with `customers reassign`")
    for customer in customers:
        customer.owner_id, customer.updated_at = target.id, now
        customer.released_at, customer.worked_at = None, now  # out of the team pool, if in it
        await audit.append(session, at=now, actor=actor, action="customer.assign",
                           entity="customer", entity_id=customer.id, fields=["owner"],
                           channel=channel)
    await reminders.move_pending(session, [c.id for c in customers], target.id, now)
    await reminders.schedule(
        session, kind="reassigned",
        dedupe_key=f"reassigned:{target.id}:{now.strftime('%Y%m%d%H%M%S%f')}", due_at=now,
        now=now, recipient_id=target.id,
        payload={"direction": "assigned", "other": actor, "count": len(customers),
                 "customers": [c.name for c in customers[:20]]})
    return customers
