"""`INSERT … ON CONFLICT DO NOTHING` on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import affected
from storage.models import Base


async def insert_new(session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]],
                     keys: Sequence[str]) -> int:
    """Insert the rows whose `keys` are not taken yet; returns how many were inserted (of
    several rows, as far as the driver counts them: asyncpg does not, and says 0).
    Safe under concurrency: of two processes inserting the same key, exactly one wins."""
    if not rows:
        return 0
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # on the table, with the rows as parameters: one compiled statement, cached, for any
    # number of rows (rows as VALUES would be compiled anew for every batch)
    table: Table = model.__table__  # type: ignore[assignment]
    statement = maker(table).on_conflict_do_nothing(index_elements=list(keys))
    if len(rows) == 1:
        result = await session.execute(statement.values(rows[0]))
    else:
        result = await session.execute(statement, list(rows))
    return affected.rows(result)


async def insert_new_id(session: AsyncSession, model: type[Base], values: dict[str, Any],
                        *key: str) -> int | None:
    """Insert one row unless `key` is taken: the new row's id, or None when it was taken
    (the same race rule as `insert_new`)."""
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table: Table = model.__table__  # type: ignore[assignment]
    statement = (maker(table).values(values).on_conflict_do_nothing(index_elements=list(key))
                 .returning(table.c.id))
    result: int | None = await session.scalar(statement)
    return result
