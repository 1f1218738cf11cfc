"""A second rep on a customer (co-owner: gets its reminders and sees it as its owner does),
added or taken off the same way from the chat (/coowner) and the CLI; audited when it
changes something."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.access import team_ids
from storage import accounts, audit, co_owners
from storage.models import Customer, User


@dataclass(frozen=True)
class Change:
    person: User
    outcome: str  # added | already | removed | was_not | is_owner


async def change(session: AsyncSession, customer: Customer, telegram_id: int, *,
                 remove: bool, by: User | None, actor: str, channel: str,
                 now: datetime) -> Change | None:
    """None when nobody active has that Telegram id, or (`by` a manager) they are not in
    the manager's team."""
    person = await accounts.user_at(session, telegram_id)
    if person is None or not person.active:
        return None
    if by is not None and by.role != "admin" and person.id not in await team_ids(session, by):
        return None
    if remove:
        outcome = "removed" if await co_owners.remove(session, customer.id, person.id) \
            else "was_not"
    elif person.id == customer.owner_id:
        outcome = "is_owner"
    else:
        outcome = "added" if await co_owners.add(session, customer.id, person.id, actor, now) \
            else "already"
    if outcome in ("added", "removed"):
        await audit.append(session, at=now, actor=actor,
                           action="customer.co_owner" if outcome == "added"
                           else "customer.co_owner_removed", entity="customer",
                           entity_id=customer.id, channel=channel, fields=[f"user:{person.id}"])
    return Change(person, outcome)
