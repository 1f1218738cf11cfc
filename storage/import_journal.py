"""What an import wrote, so that an import that fails or is interrupted can be undone.

An import writes in short transactions (others never wait long for the database); each
records here the records it created and the empty fields of existing records it filled.
Undoing deletes the one and empties the other, also in short transactions, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, Customer, ImportChange, ImportRun

UNDO_BATCH = 1000
STALE = timedelta(minutes=2)
_MODELS: dict[str, type[Customer] | type[Contact]] = {"customer": Customer, "contact": Contact}


async def start(session: AsyncSession, source: str, actor: str, now: datetime) -> ImportRun:
    run = ImportRun(source=source[:300], actor=actor[:64], status="running", rows=0,
                    started_at=now, beat_at=now)
    session.add(run)
    await session.flush()
    return run


async def record_many(session: AsyncSession, run_id: int,
                      changes: Sequence[tuple[str, int, bool, Sequence[str]]]) -> None:
    """(entity, id, created, columns filled) each, in one INSERT."""
    if changes:
        await session.execute(insert(ImportChange), [
            {"run_id": run_id, "entity": entity, "entity_id": entity_id, "created": created,
             "columns": list(columns)} for entity, entity_id, created, columns in changes])


async def finish(session: AsyncSession, run_id: int, status: str, rows: int,
                 now: datetime) -> None:
    await session.execute(update(ImportRun).where(ImportRun.id == run_id)
                          .values(status=status, rows=rows, finished_at=now))


async def beat(session: AsyncSession, run_id: int, rows: int, now: datetime) -> None:
    """A chunk was written: the run is alive (rows so far)."""
    await session.execute(update(ImportRun).where(ImportRun.id == run_id)
                          .values(rows=rows, beat_at=now))


async def unfinished(session: AsyncSession, now: datetime) -> list[ImportRun]:
    """Runs that never finished and gave no sign of life for STALE (their process was
    killed): to be undone. One still writing elsewhere is left alone."""
    return list(await session.scalars(
        select(ImportRun).where(ImportRun.status == "running",
                                ImportRun.beat_at < now - STALE).order_by(ImportRun.id)))


async def undo(sessions: async_sessionmaker[AsyncSession], run_id: int,
               now: datetime) -> int:
    """Take back what the run wrote, newest first; returns how many records it touched."""
    touched = 0
    while True:
        async with sessions.begin() as session:
            changes = list(await session.scalars(
                select(ImportChange).where(ImportChange.run_id == run_id)
                .order_by(ImportChange.id.desc()).limit(UNDO_BATCH)))
            if not changes:
                await finish(session, run_id, "undone", 0, now)
                return touched
            for change in changes:
                if not change.created and change.columns:
                    model = _MODELS[change.entity]
                    await session.execute(update(model).where(model.id == change.entity_id)
                                          .values(dict.fromkeys(change.columns)))
            for entity in ("contact", "customer"):  # a customer's contacts go first
                model = _MODELS[entity]
                created = [c.entity_id for c in changes if c.created and c.entity == entity]
                if created:
                    await session.execute(delete(model).where(model.id.in_(created)))
            await session.execute(delete(ImportChange).where(
                ImportChange.id.in_([c.id for c in changes])))
            touched += len(changes)
