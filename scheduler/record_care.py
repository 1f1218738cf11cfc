"""Keeping records clean (seeds 001 and 003): a clean-up task within 24 hours of an
interview that left vague answers on the card, and a check of every card each quarter."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.vagueness import CLEANABLE, vague_reason
from scheduler.planner_port import PlannerPort
from storage import card, reminders
from storage.models import Customer, Interview, Reminder, User


def vague_fields(customer: Customer, rules: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The card's opportunity fields that are vague: (field, rule)."""
    found = []
    for field in CLEANABLE:
        _record, column = card.CARD_COLUMNS[field]
        rule = vague_reason(getattr(customer, column, None), rules)
        if rule is not None:
            found.append((field, rule))
    return found


async def clean_up_task(planner: PlannerPort, session: AsyncSession, interview: Interview,
                        customer: Customer, owner: User | None, now: datetime) -> tuple[str, ...]:
    """After an interview: a task for whoever answers for the record (the rep who gave the
    debrief, or the owner of a customer's questionnaire) listing the vague fields. Returns
    the fields (none: no task)."""
    if interview.flow_id == "clean_up":
        return ()
    found = vague_fields(customer, planner.policy.vague_answers)
    rep = owner
    if interview.respondent_user_id is not None:
        rep = await session.get(User, interview.respondent_user_id)
    if not found or rep is None:
        return ()
    policy = planner.policy
    due = planner.deliverable(now + timedelta(hours=policy.clean_up_after_hours), rep)
    deadline = now + timedelta(hours=policy.clean_up_within_hours)
    await reminders.schedule(
        session, kind="clean_up", dedupe_key=f"clean_up:{interview.id}", due_at=due, now=now,
        customer_id=customer.id, recipient_id=rep.id,
        payload={"fields": [[f, r] for f, r in found], "interview_id": interview.id,
                 "by": deadline.isoformat()})
    return tuple(f for f, _ in found)


async def verifications(planner: PlannerPort, session: AsyncSession, now: datetime,
                        today: date) -> None:
    """Each customer's card is checked a quarter after the last check (or its creation)."""
    every = planner.policy.verify_every_days
    cutoff = today - timedelta(days=every - 1)
    asked = select(Reminder.id).where(  # one check a quarter, whatever became of it
        Reminder.customer_id == Customer.id, Reminder.kind == "verify",
        Reminder.created_at > now - timedelta(days=every - 1))
    due = list(await session.scalars(select(Customer).where(
        Customer.owner_id.is_not(None), Customer.closed_at.is_(None), ~asked.exists(),
        or_(Customer.last_verified <= cutoff,
            and_(Customer.last_verified.is_(None),
                 Customer.created_at <= now - timedelta(days=every - 1)))).order_by(Customer.id)))
    for customer in due:
        since = customer.last_verified or customer.created_at.astimezone(
            planner.zone(None)).date()
        due_on = since + timedelta(days=every)
        await planner.to_owners(session, customer, kind="verify",
                                dedupe_key=f"verify:{customer.id}:{due_on}", on=due_on,
                                now=now, payload={"due_on": due_on.isoformat(),
                                                  "last": customer.last_verified.isoformat()
                                                  if customer.last_verified else None})
