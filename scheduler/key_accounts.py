"""Duties the seeds set for important customers, planned by the calendar:

- each contact of a key account reached by decision role (seed 002: the core decision
  maker once or twice a week, influencers twice a month, the others once or twice a month);
- the quarterly revisit of every A-grade customer by the owner's manager (seed 000);
- a call 30 days before a customer's celebration (seed 002, beside the 10-day birthday one).

Each reminder has a dedupe key, so a pass can run as often as it likes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.planner_port import PlannerPort
from scheduler.timing import MORNING, at_local, next_birthday
from storage import reminders
from storage.models import Contact, Customer, Interview, Reminder, User


async def contact_cadences(planner: PlannerPort, session: AsyncSession, now: datetime,
                           today: date) -> None:
    policy = planner.policy
    if not policy.key_account_grades or not policy.contact_every_days:
        return
    rows = (await session.execute(
        select(Contact, Customer).join(Customer, Contact.customer_id == Customer.id)
        .where(Customer.grade.in_(policy.key_account_grades), Customer.owner_id.is_not(None),
               Customer.closed_at.is_(None), Contact.decision_role.is_not(None)))).all()
    if not rows:
        return
    contact_ids = [contact.id for contact, _ in rows]
    last_talk = dict((await session.execute(
        select(Interview.contact_id, func.max(Interview.completed_at))
        .where(Interview.contact_id.in_(contact_ids), Interview.status == "completed")
        .group_by(Interview.contact_id))).all())
    done: dict[int, datetime] = {}  # contact id -> its latest "contact due" marked done
    for key, at in (await session.execute(
            select(Reminder.dedupe_key, Reminder.updated_at).where(
                Reminder.kind == "contact_due", Reminder.status == "done",
                Reminder.customer_id.in_({c.id for _, c in rows})))).all():
        contact_id = int(key.split(":")[1])
        done[contact_id] = max(at, done.get(contact_id, at))
    for contact, customer in rows:
        days = policy.contact_every_days.get(contact.decision_role or "")
        if days is None:
            continue
        last = max(t for t in (last_talk.get(contact.id), done.get(contact.id),
                               contact.created_at) if t is not None)
        due_on = last.astimezone(planner.zone(None)).date() + timedelta(days=days)
        if due_on > today + timedelta(days=1):
            continue
        await planner.to_owners(
            session, customer, kind="contact_due",
            dedupe_key=f"contact_due:{contact.id}:{due_on}", on=due_on, now=now,
            payload={"contact_id": contact.id, "role": contact.decision_role, "days": days,
                     "last": last.date().isoformat()})


async def manager_revisits(planner: PlannerPort, session: AsyncSession, now: datetime,
                           today: date) -> None:
    policy = planner.policy
    if not policy.manager_revisit_grades:
        return
    customers = list(await session.scalars(select(Customer).where(
        Customer.grade.in_(policy.manager_revisit_grades), Customer.closed_at.is_(None))))
    if not customers:
        return
    ids = [c.id for c in customers]
    done = dict((await session.execute(
        select(Reminder.customer_id, func.max(Reminder.updated_at)).where(
            Reminder.kind == "manager_revisit", Reminder.status == "done",
            Reminder.customer_id.in_(ids)).group_by(Reminder.customer_id))).all())
    visited = dict((await session.execute(  # a revisit a manager or admin did themselves
        select(Interview.customer_id, func.max(Interview.completed_at))
        .join(User, User.id == Interview.respondent_user_id)
        .where(Interview.customer_id.in_(ids), Interview.status == "completed",
               User.role.in_(("manager", "admin"))).group_by(Interview.customer_id))).all())
    owners = {u.id: u for u in await session.scalars(select(User).where(
        User.id.in_({c.owner_id for c in customers if c.owner_id is not None})))}
    admins = [u for u in await reminders.managers(session) if u.role == "admin"]
    every = timedelta(days=policy.manager_revisit_every_days)
    for customer in customers:
        last = max(t for t in (done.get(customer.id), visited.get(customer.id),
                               customer.created_at) if t is not None)
        due_on = last.astimezone(planner.zone(None)).date() + every
        if due_on > today + timedelta(days=1):
            continue
        owner = owners.get(customer.owner_id or 0)
        boss = await session.get(User, owner.manager_id) if owner and owner.manager_id \
            else None
        for manager in [boss] if boss is not None and boss.active else admins:
            due = max(at_local(due_on, MORNING, planner.zone(manager)), now)
            await reminders.schedule(
                session, kind="manager_revisit",
                dedupe_key=f"manager_revisit:{customer.id}:{due_on}:{manager.id}",
                due_at=planner.deliverable(due, manager), now=now, customer_id=customer.id,
                recipient_id=manager.id,
                payload={"due_on": due_on.isoformat(), "owner": owner.name if owner else "",
                         "grade": customer.grade})


async def celebrations(planner: PlannerPort, session: AsyncSession, now: datetime,
                       today: date) -> None:
    ahead = planner.policy.celebration_days_before
    for customer in await session.scalars(select(Customer).where(
            Customer.celebration_on.is_not(None), Customer.owner_id.is_not(None),
            Customer.closed_at.is_(None))):
        assert customer.celebration_on is not None
        day = next_birthday(customer.celebration_on, today)
        remind_on = day - timedelta(days=ahead)
        if remind_on > today + timedelta(days=1):
            continue
        await planner.to_owners(
            session, customer, kind="celebration",
            dedupe_key=f"celebration:{customer.id}:{day.year}", on=remind_on, now=now,
            payload={"day": day.isoformat()})

