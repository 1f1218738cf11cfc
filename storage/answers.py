"""Answer rows. An edit never overwrites: the old row is marked superseded and kept.

A new answer is not an ORM object: `record` keeps its row in the session, and the rows of a
whole batch go out as one INSERT just before the session's next statement (whatever it
reads or writes, so every query sees them) or at the commit. The ORM's unit of work spent
more on tracking these objects than the database on storing them. A row given in a
savepoint that is rolled back is not written; one written inside a savepoint that is rolled
back, though given before it, is written again later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from storage.models import Answer, Interview

TABLE: Table = Answer.__table__  # type: ignore[assignment]
PENDING = "answers_pending"  # session.info: rows to insert before the next statement
WRITTEN = "answers_written"  # session.info: rows inserted in this transaction so far


@dataclass(eq=False)
class _Row:
    scope: SessionTransaction  # the (nested) transaction it was given in
    values: dict[str, Any]
    written_in: SessionTransaction | None = None


async def record(session: AsyncSession, interview: Interview, *, question_id: str, stage: str,
                 maps_to: str | None, raw_text: str | None, value: Any, other_text: str | None,
                 answered_by: str, now: datetime, replaces: bool = True,
                 source: str = "typed") -> None:
    """`replaces=False` when the question has no current answer (a first answer): then
    there is nothing to mark superseded, and no statement is sent."""
    if replaces:
        await supersede(session, interview.id, [question_id], now)
    sync = session.sync_session
    scope = sync.get_nested_transaction() or sync.get_transaction()
    assert scope is not None, "an answer is recorded in a transaction"
    sync.info.setdefault(PENDING, []).append(_Row(scope, {
        "interview_id": interview.id, "customer_id": interview.customer_id,
        "question_id": question_id, "stage": stage, "maps_to": maps_to, "raw_text": raw_text,
        "value": value, "other_text": other_text, "answered_by": answered_by,
        "answered_at": now, "superseded_at": None, "source": source}))


def _write(session: Session) -> None:
    rows: list[_Row] = session.info.pop(PENDING, None) or []
    if not rows:
        return
    where = session.get_nested_transaction() or session.get_transaction()
    session.execute(insert(TABLE), [row.values for row in rows])
    for row in rows:
        row.written_in = where
    session.info.setdefault(WRITTEN, []).extend(rows)


def _before_statement(state: ORMExecuteState) -> None:
    _write(state.session)


def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        _write(session)
        session.info.pop(WRITTEN, None)


def _rolled_back(session: Session, transaction: SessionTransaction) -> None:
    """Rows given inside `transaction` go; rows it undid that were given before it are
    written again."""
    def inside(scope: SessionTransaction | None) -> bool:
        while scope is not None:
            if scope is transaction:
                return True
            scope = scope.parent
        return False

    written: list[_Row] = session.info.get(WRITTEN) or []
    again = [row for row in written if inside(row.written_in) and not inside(row.scope)]
    session.info[WRITTEN] = [row for row in written if not inside(row.written_in)]
    pending = [row for row in session.info.get(PENDING) or [] if not inside(row.scope)]
    session.info[PENDING] = [*again, *pending]  # given in this order
    if transaction.parent is None:  # the whole transaction: nothing stays
        session.info.pop(PENDING, None)
        session.info.pop(WRITTEN, None)


event.listen(Session, "do_orm_execute", _before_statement)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_soft_rollback", _rolled_back)


async def supersede(session: AsyncSession, interview_id: int, question_ids: Iterable[str],
                    now: datetime) -> None:
    ids = list(question_ids)
    if not ids:
        return
    await session.execute(
        update(Answer).where(Answer.interview_id == interview_id,
                             Answer.question_id.in_(ids), Answer.superseded_at.is_(None))
        .values(superseded_at=now))


async def current(session: AsyncSession, interview_id: int) -> list[Answer]:
    result = await session.scalars(
        select(Answer).where(Answer.interview_id == interview_id, Answer.superseded_at.is_(None))
        .order_by(Answer.id))
    return list(result)


async def before_and_after(session: AsyncSession, interview_id: int, question_id: str,
                           at: datetime) -> tuple[Answer | None, Answer | None]:
    """A corrected answer: the one it replaced at `at`, and the one given then."""
    rows = (await session.scalars(select(Answer).where(
        Answer.interview_id == interview_id, Answer.question_id == question_id,
        Answer.answered_at <= at).order_by(Answer.answered_at.desc(), Answer.id.desc())
        .limit(2))).all()
    after = rows[0] if rows else None
    before = rows[1] if len(rows) > 1 else None
    return before, after
