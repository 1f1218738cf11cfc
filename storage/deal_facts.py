"""The queries behind deal warnings: what the rules (flows.deal_warnings) read about every
open customer, a handful of grouped statements for all of them at once (the warnings pass
over 20,000 customers) or for one (a brief, a card); and the stored warnings, opened and
ended."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, and_, bindparam, case, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    Contact,
    Customer,
    DealWarningRow,
    Interview,
    Note,
    Reminder,
)
from storage.reporting import chunks

_Q = TypeVar("_Q")


@dataclass
class Facts:
    """One open customer as the warning rules read it (raw; services.deal_watch turns it
    into a flows.deal_warnings.DealState)."""

    customer_id: int
    grade: str | None
    created_at: datetime
    budget_known: bool
    last_activity: datetime | None = None
    debriefs: int = 0
    contacts: int = 0
    deciders: int = 0
    timeline: tuple[Any, datetime] | None = None  # the newest answer, and when it was given
    need_payoff_answers: int = 0
    oldest_overdue_follow_up: datetime | None = None
    customer_answers: bool = False  # the customer answered a key fact: conflicts possible


def _only(statement: _Q, column: Any, customer_id: int | None) -> _Q:
    """All open customers, or one."""
    query = cast(Any, statement)
    if customer_id is not None:
        return cast(_Q, query.where(column == customer_id))
    return cast(_Q, query.join(Customer, Customer.id == column)
                .where(Customer.closed_at.is_(None)))


async def read_facts(session: AsyncSession, *, decision_roles: Sequence[str],
                     conflict_fields: Iterable[str], now: datetime,
                     customer_id: int | None = None) -> dict[int, Facts]:
    """Every open customer's facts (or one customer's, closed or not): eight grouped
    statements whatever the number of customers."""
    base = select(Customer.id, Customer.grade, Customer.created_at,
                  Customer.budget.is_not(None))
    base = base.where(Customer.id == customer_id) if customer_id is not None \
        else base.where(Customer.closed_at.is_(None))
    found = {row[0]: Facts(row[0], row[1], row[2], bool(row[3]))
             for row in (await session.execute(base)).all()}
    if not found:
        return found
    await _activity(session, found, customer_id)
    for cid, contacts, deciders in (await session.execute(_only(
            select(Contact.customer_id, func.count(),
                   func.count(case((Contact.decision_role.in_(list(decision_roles)), 1)))),
            Contact.customer_id, customer_id).group_by(Contact.customer_id))).all():
        facts = found.get(cid)
        if facts is not None:
            facts.contacts, facts.deciders = int(contacts), int(deciders)
    await _answers(session, found, conflict_fields, customer_id)
    for reminder_of, due in (await session.execute(_only(
            select(Reminder.customer_id, func.min(Reminder.due_at))
            .where(Reminder.kind == "follow_up", Reminder.status.in_(("pending", "sent")),
                   Reminder.due_at < now), Reminder.customer_id, customer_id)
            .group_by(Reminder.customer_id))).all():
        if reminder_of in found:
            found[reminder_of].oldest_overdue_follow_up = due
    return found


async def _activity(session: AsyncSession, found: dict[int, Facts],
                    customer_id: int | None) -> None:
    """The newest debrief, questionnaire or note, and the debriefs reps completed."""
    done = and_(Interview.status == "completed", Interview.completed_at.is_not(None))
    for cid, last, debriefs in (await session.execute(_only(
            select(Interview.customer_id, func.max(Interview.completed_at),
                   func.count(case((Interview.respondent_user_id.is_not(None), 1))))
            .where(done), Interview.customer_id, customer_id)
            .group_by(Interview.customer_id))).all():
        facts = found.get(cid)
        if facts is not None:
            facts.last_activity, facts.debriefs = last, int(debriefs)
    for cid, last in (await session.execute(_only(
            select(Note.customer_id, func.max(Note.created_at)), Note.customer_id, customer_id)
            .group_by(Note.customer_id))).all():
        facts = found.get(cid)
        if facts is not None and last is not None and (
                facts.last_activity is None or last > facts.last_activity):
            facts.last_activity = last


async def _answers(session: AsyncSession, found: dict[int, Facts],
                   conflict_fields: Iterable[str], customer_id: int | None) -> None:
    """Need-payoff answers, the newest timeline, and whether the customer answered a key
    fact themselves."""
    current = and_(Answer.superseded_at.is_(None), Answer.value.is_not(None),
                   Interview.status != "cancelled")
    for cid, count in (await session.execute(_only(
            select(Answer.customer_id, func.count())
            .join(Interview, Interview.id == Answer.interview_id)
            .where(current, Answer.stage == "need_payoff"), Answer.customer_id, customer_id)
            .group_by(Answer.customer_id))).all():
        if cid in found:
            found[cid].need_payoff_answers = int(count)
    # the newest timeline answer per customer: its value is encrypted, so only these rows
    newest = _only(select(func.max(Answer.id)).join(Interview, Interview.id == Answer.interview_id)
                   .where(current, Answer.maps_to == "deal.timeline"), Answer.customer_id,
                   customer_id).group_by(Answer.customer_id)
    for cid, value, at in (await session.execute(
            select(Answer.customer_id, Answer.value, Answer.answered_at)
            .where(Answer.id.in_(newest.scalar_subquery())))).all():
        if cid in found:
            found[cid].timeline = (value, at)
    wanted = list(conflict_fields)
    if not wanted:  # the caller knows the disagreements already
        return
    for (cid,) in (await session.execute(_only(
            select(Answer.customer_id).join(Interview, Interview.id == Answer.interview_id)
            .where(current, Interview.respondent_user_id.is_(None),
                   Answer.maps_to.in_(wanted)), Answer.customer_id, customer_id)
            .distinct())).all():
        if cid in found:
            found[cid].customer_answers = True


# ------------------------------------------------------------------ stored warnings
@dataclass(frozen=True)
class Seen:
    customer_id: int
    kind: str
    days: int
    count: int


@dataclass(frozen=True)
class Stored:
    """An open warning as the pass compares it (columns, not an ORM row: 26,000 of them
    loaded as rows took half the pass)."""

    id: int
    days: int
    count: int


async def open_warnings(session: AsyncSession,
                        customer_id: int | None = None) -> dict[tuple[int, str], Stored]:
    statement = select(DealWarningRow.id, DealWarningRow.customer_id, DealWarningRow.kind,
                       DealWarningRow.days, DealWarningRow.count
                       ).where(DealWarningRow.ended_at.is_(None))
    if customer_id is not None:
        statement = statement.where(DealWarningRow.customer_id == customer_id)
    return {(cid, kind): Stored(rid, days, count)
            for rid, cid, kind, days, count in (await session.execute(statement)).all()}


async def record_warnings(session: AsyncSession, seen: Sequence[Seen],
                          stored: dict[tuple[int, str], Stored],
                          judged: Iterable[int] | None, now: datetime) -> tuple[int, int]:
    """Open the warnings seen and not stored, end the stored ones not seen (of the customers
    judged; None: every customer with an open row), update the figures that moved. Returns
    (opened, ended). Two passes at once: a warning is opened once (the open one per customer
    and kind is unique), ending twice changes nothing."""
    table = cast(Table, DealWarningRow.__table__)
    fresh = [{"customer_id": s.customer_id, "kind": s.kind, "days": s.days, "count": s.count,
              "began_at": now, "seen_at": now} for s in seen
             if (s.customer_id, s.kind) not in stored]
    if fresh:
        maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(maker(table).on_conflict_do_nothing(
            index_elements=["customer_id", "kind"], index_where=text("ended_at IS NULL")),
            fresh)
    moved = [{"_id": row.id, "_days": s.days, "_count": s.count}
             for s in seen if (row := stored.get((s.customer_id, s.kind))) is not None
             and (row.days, row.count) != (s.days, s.count)]
    if moved:
        await session.execute(
            update(table).where(table.c.id == bindparam("_id"))
            .values(days=bindparam("_days"), count=bindparam("_count"), seen_at=now)
            .execution_options(synchronize_session=False), moved)
    still = {(s.customer_id, s.kind) for s in seen}
    scope = None if judged is None else set(judged)
    gone = [row.id for key, row in stored.items()
            if key not in still and (scope is None or key[0] in scope)]
    for chunk in chunks(gone, 5000):
        await session.execute(update(DealWarningRow)
                              .where(DealWarningRow.id.in_(chunk))
                              .values(ended_at=now).execution_options(synchronize_session=False))
    return len(fresh), len(gone)


async def open_counts(session: AsyncSession, owner_ids: Iterable[int] | None
                      ) -> dict[tuple[int | None, str], int]:
    """Open warnings per (owner, kind), for the owners given (None: everyone's)."""
    statement = (select(Customer.owner_id, DealWarningRow.kind, func.count())
                 .join(Customer, Customer.id == DealWarningRow.customer_id)
                 .where(DealWarningRow.ended_at.is_(None), Customer.closed_at.is_(None))
                 .group_by(Customer.owner_id, DealWarningRow.kind))
    if owner_ids is not None:
        statement = statement.where(Customer.owner_id.in_(list(owner_ids)))
    return {(owner, kind): int(n) for owner, kind, n in (await session.execute(statement)).all()}


async def open_by_customer(session: AsyncSession, customer_ids: Iterable[int]
                           ) -> dict[int, list[DealWarningRow]]:
    found: dict[int, list[DealWarningRow]] = {}
    for chunk in chunks(list(customer_ids), 5000):
        for row in await session.scalars(
                select(DealWarningRow)
                .where(DealWarningRow.ended_at.is_(None),
                       DealWarningRow.customer_id.in_(chunk))
                .order_by(DealWarningRow.id)):
            found.setdefault(row.customer_id, []).append(row)
    return found


async def open_of_owner(session: AsyncSession, owner_id: int, limit: int
                        ) -> list[tuple[DealWarningRow, Customer]]:
    """The open warnings on an owner's open customers, the longest-standing first."""
    return [(row, customer) for row, customer in (await session.execute(
        select(DealWarningRow, Customer).join(Customer, Customer.id == DealWarningRow.customer_id)
        .where(DealWarningRow.ended_at.is_(None), Customer.owner_id == owner_id,
               Customer.closed_at.is_(None))
        .order_by(DealWarningRow.began_at, DealWarningRow.id).limit(limit))).all()]


def customers_with_warnings(kind: str | None) -> Select[Any]:
    """A filter for customer lists: those with an open warning (of `kind`, or any)."""
    statement = select(DealWarningRow.customer_id).where(DealWarningRow.ended_at.is_(None))
    if kind:
        statement = statement.where(DealWarningRow.kind == kind)
    return statement


async def in_period(session: AsyncSession, owner_ids: Iterable[int] | None, start: datetime,
                    end: datetime) -> list[tuple[datetime, datetime | None]]:
    """Warnings open at any time in [start, end): when each began and ended."""
    statement = (select(DealWarningRow.began_at, DealWarningRow.ended_at)
                 .join(Customer, Customer.id == DealWarningRow.customer_id)
                 .where(DealWarningRow.began_at < end,
                        or_(DealWarningRow.ended_at.is_(None), DealWarningRow.ended_at >= start)))
    if owner_ids is not None:
        statement = statement.where(Customer.owner_id.in_(list(owner_ids)))
    return [tuple(row) for row in (await session.execute(statement)).all()]  # type: ignore[misc]

