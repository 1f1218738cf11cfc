"""What is due for a person by a moment: the reminders addressed to them (and, for a
manager, their team; for an admin, everyone) that are not done, and the interviews they
left unfinished, and the deal warnings on their own customers — the data of /today and
/week, for any door to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import deal_facts
from storage.models import Customer, DealWarningRow, Interview, Reminder, User
from storage.reporting import visible_owner_ids

KINDS = ("follow_up", "revisit", "birthday", "escalation", "contact_due", "manager_revisit",
         "celebration", "verify", "clean_up")
WARNINGS_SHOWN = 20


@dataclass(frozen=True)
class Agenda:
    people: list[User]  # whose agenda it is, the viewer first
    due: list[Reminder]  # by due time: overdue first
    unfinished: list[Interview]  # the oldest first
    customers: dict[int, Customer]  # the ones named above
    # the viewer's own customers at risk (deal warnings, as the last warnings pass saw them)
    warnings: list[tuple[DealWarningRow, Customer]] = field(default_factory=list)


async def agenda(session: AsyncSession, viewer: User, until: datetime) -> Agenda:
    people = await _people(session, viewer)
    ids = [u.id for u in people]
    due = list(await session.scalars(
        select(Reminder).where(Reminder.recipient_id.in_(ids), Reminder.kind.in_(KINDS),
                               Reminder.status.in_(("pending", "sent")),
                               Reminder.due_at < until)
        .order_by(Reminder.due_at).limit(200)))
    unfinished = list(await session.scalars(
        select(Interview).where(Interview.status == "active",
                                Interview.respondent_user_id.in_(ids))
        .order_by(Interview.updated_at).limit(50)))
    named = {r.customer_id for r in due if r.customer_id} | {i.customer_id for i in unfinished}
    customers = {c.id: c for c in await session.scalars(
        select(Customer).where(Customer.id.in_(named)))} if named else {}
    return Agenda(people, due, unfinished, customers,
                  await deal_facts.open_of_owner(session, viewer.id, WARNINGS_SHOWN))


async def _people(session: AsyncSession, viewer: User) -> list[User]:
    """Whose agenda the viewer sees: their own, their team's, or everyone's."""
    if viewer.role not in ("manager", "admin"):
        return [viewer]
    query = select(User).where(User.active.is_(True)).order_by(User.name)
    owners = await visible_owner_ids(session, viewer)
    if owners is not None:
        query = query.where(User.id.in_(owners))
    return sorted(await session.scalars(query), key=lambda u: u.id != viewer.id)  # self first
