"""Answer rows. An edit never overwrites: the old row is marked superseded and kept.

A new answer is not an ORM object: its row goes out with the batch's other answers in one
INSERT (storage.deferred), before the session's next statement or at the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deferred import defer
from storage.models import Answer, Interview

TABLE: Table = Answer.__table__  # type: ignore[assignment]
INSERT = insert(TABLE)


async def record(session: AsyncSession, interview: Interview, *, question_id: str, stage: str,
                 maps_to: str | None, raw_text: str | None, value: Any, other_text: str | None,
                 answered_by: str, now: datetime, replaces: bool = True,
                 source: str = "typed") -> None:
    """`replaces=False` when the question has no current answer (a first answer): then
    there is nothing to mark superseded, and no statement is sent."""
    if replaces:
        await supersede(session, interview.id, [question_id], now)
    defer(session, INSERT, {
        "interview_id": interview.id, "customer_id": interview.customer_id,
        "question_id": question_id, "stage": stage, "maps_to": maps_to, "raw_text": raw_text,
        "value": value, "other_text": other_text, "answered_by": answered_by,
        "answered_at": now, "superseded_at": None, "source": source})


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
