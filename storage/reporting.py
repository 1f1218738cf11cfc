"""Reads for exports, reports and the card's quality lines: a few set-based queries,
never one per customer. Visibility comes in as `owners`: the owner ids the reader may
see, or None for everything."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import co_owners
from storage.card import CARD_COLUMNS
from storage.models import Answer, Contact, Customer, Interview, User

Owners = set[int] | None
_Q = TypeVar("_Q")
_T = TypeVar("_T")


async def visible_owner_ids(session: AsyncSession, user: User) -> Owners:
    """Least privilege: a rep their own customers, a manager their team's, an admin all."""
    if user.role == "admin":
        return None
    if user.role == "manager":
        team = await session.scalars(select(User.id).where(User.manager_id == user.id))
        return {user.id, *team}
    return {user.id}


def scoped(query: _Q, owners: Owners) -> _Q:
    if owners is None:
        return query
    return cast(_Q, cast(Any, query).where(Customer.owner_id.in_(owners)
                                          | Customer.id.in_(co_owners.co_owned_by(owners))))


async def customers_in_scope(session: AsyncSession, owners: Owners) -> list[Customer]:
    query = scoped(select(Customer).order_by(Customer.id), owners)
    return list(await session.scalars(query))


async def contacts_of_customers(session: AsyncSession,
                                customer_ids: Iterable[int]) -> dict[int, list[Contact]]:
    found: dict[int, list[Contact]] = defaultdict(list)
    ids = list(customer_ids)
    for chunk in chunks(ids):
        for contact in await session.scalars(
                select(Contact).where(Contact.customer_id.in_(chunk)).order_by(Contact.id)):
            found[contact.customer_id].append(contact)
    return found


def card_values(customer: Customer, contacts: list[Contact]) -> dict[str, Any]:
    """The card as field -> value; a contact field is the first contact's that has it."""
    card: dict[str, Any] = {}
    for name, (record, column) in CARD_COLUMNS.items():
        if record == "customer":
            card[name] = getattr(customer, column)
        else:
            card[name] = next((getattr(c, column) for c in contacts
                               if getattr(c, column) not in (None, "")), None)
    return card


@dataclass
class InterviewRow:
    interview: Interview
    customer: Customer
    respondent: User | None  # None: the customer answered
    answers: dict[str, Answer] = field(default_factory=dict)  # current answer per question


async def interviews(session: AsyncSession, owners: Owners, *, flow_id: str | None = None,
                     since: datetime | None = None, completed_only: bool = False,
                     reps_only: bool = False) -> list[InterviewRow]:
    """Interviews (with their current answers) of the customers in scope."""
    query = scoped(select(Interview, Customer)
                    .join(Customer, Interview.customer_id == Customer.id)
                    .where(Interview.status != "cancelled")
                    .order_by(Interview.id), owners)
    if flow_id is not None:
        query = query.where(Interview.flow_id == flow_id)
    if since is not None:
        query = query.where((Interview.completed_at >= since) if completed_only
                            else (Interview.started_at >= since))
    if completed_only:
        query = query.where(Interview.status == "completed")
    if reps_only:
        query = query.where(Interview.respondent_user_id.is_not(None))
    rows = (await session.execute(query)).all()
    users = await users_by_id(session, {i.respondent_user_id for i, _ in rows})
    found = {i.id: InterviewRow(i, c, users.get(i.respondent_user_id or 0)) for i, c in rows}
    for chunk in chunks(list(found)):
        for answer in await session.scalars(
                select(Answer).where(Answer.interview_id.in_(chunk),
                                     Answer.superseded_at.is_(None))):
            found[answer.interview_id].answers[answer.question_id] = answer
    return list(found.values())


async def answered_by_customers(session: AsyncSession, customer_ids: Iterable[int],
                                fields: Iterable[str]) -> set[int]:
    """Of these customers, those who answered one of these card fields themselves (a
    questionnaire): the only ones whose word can differ from a rep's."""
    found: set[int] = set()
    wanted = list(fields)
    for chunk in chunks(list(customer_ids)):
        found.update((await session.scalars(
            select(Answer.customer_id).join(Interview, Answer.interview_id == Interview.id)
            .where(Answer.customer_id.in_(chunk), Answer.superseded_at.is_(None),
                   Answer.maps_to.in_(wanted), Interview.respondent_user_id.is_(None),
                   Interview.status != "cancelled").distinct())).all())
    return found


async def mapped_answers(session: AsyncSession, customer_ids: Iterable[int],
                         fields: Iterable[str]) -> dict[int, list[tuple[Answer, str, bool]]]:
    """Current answers that fill card fields, per customer, each with its flow and whether
    a rep gave it (True) or the customer (False)."""
    found: dict[int, list[tuple[Answer, str, bool]]] = defaultdict(list)
    wanted = list(fields)
    for chunk in chunks(list(customer_ids)):
        rows = await session.execute(
            select(Answer, Interview.flow_id, Interview.respondent_user_id.is_not(None))
            .join(Interview, Answer.interview_id == Interview.id)
            .where(Answer.customer_id.in_(chunk), Answer.superseded_at.is_(None),
                   Answer.maps_to.in_(wanted), Interview.status != "cancelled")
            .order_by(Answer.id))
        for answer, flow_id, by_rep in rows.all():
            found[answer.customer_id].append((answer, flow_id, bool(by_rep)))
    return found


async def newest_debriefs(session: AsyncSession,
                          customer_ids: Iterable[int]) -> dict[int, list[tuple[str, Any]]]:
    """The (stage, value) answers of each customer's newest completed debrief."""
    newest: dict[int, int] = {}
    found: dict[int, list[tuple[str, Any]]] = {}
    for chunk in chunks(list(customer_ids)):
        rows = await session.execute(
            select(Interview.customer_id, func.max(Interview.id))
            .where(Interview.customer_id.in_(chunk), Interview.status == "completed",
                   Interview.respondent_user_id.is_not(None))
            .group_by(Interview.customer_id))
        newest.update({customer: interview for customer, interview in rows.all()})
    by_interview = {interview: customer for customer, interview in newest.items()}
    for chunk in chunks(list(by_interview)):
        answers = await session.execute(
            select(Answer.interview_id, Answer.stage, Answer.value)
            .where(Answer.interview_id.in_(chunk), Answer.superseded_at.is_(None)))
        for interview_id, stage, value in answers.all():
            found.setdefault(by_interview[interview_id], []).append((stage, value))
    for customer in newest:
        found.setdefault(customer, [])
    return found


async def users_by_id(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(wanted)))}


async def staff(session: AsyncSession, owners: Owners) -> list[User]:
    """The people a report is about: the reps (and managers) whose customers are in scope."""
    query = select(User).where(User.active.is_(True)).order_by(User.name, User.id)
    if owners is not None:
        query = query.where(User.id.in_(owners))
    return list(await session.scalars(query))


async def overdue_by_owner(session: AsyncSession, owners: Owners, today: date) -> dict[int, int]:
    query = scoped(select(Customer.owner_id, func.count())
                    .where(Customer.revisit_due_on < today, Customer.owner_id.is_not(None))
                    .group_by(Customer.owner_id), owners)
    rows = (await session.execute(query)).all()
    return {owner: count for owner, count in rows if owner is not None}


def chunks(items: Sequence[_T], size: int = 900) -> Iterable[list[_T]]:
    """IN lists (and rows written together) stay under SQLite's bound-parameter limit."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
