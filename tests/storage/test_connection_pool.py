"""On PostgreSQL a busy process keeps the connections it opened, never more than
DATABASE_POOL_SIZE: a connection opened and closed again for every burst of work pays the
connect, asyncpg's type introspection and its prepared statements each time (bench M15 on
PostgreSQL, 50 reps at once: 107 / 115 callbacks/s with SQLAlchemy's default pool of 5 kept
and 10 closed after use, 162 / 162 with 15 kept), and a process past its share would take
connections that PostgreSQL's `max_connections` counts for the other replicas."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings


async def _backend(engine: AsyncEngine) -> int:
    """The PostgreSQL process serving this piece of work (a new connection: a new one)."""
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        await connection.execute(text("SELECT pg_sleep(0.02)"))  # overlap the others
        return int(pid)


async def test_a_busy_process_keeps_its_connections_and_never_opens_more(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite: one connection a process, handed out in turn; this is PostgreSQL's")
    settings = Settings(database=DatabaseSettings(url=db_url, pool_size=4))
    rounds: list[set[int]] = []
    async with open_app(settings) as app:
        for _ in range(3):  # three bursts of 20 at once, with the pool idle between them
            rounds.append(set(await asyncio.gather(*(_backend(app.engine) for _ in range(20)))))
    assert len(set().union(*rounds)) <= 4, rounds  # the same few connections, kept
    assert rounds[1] == rounds[0] and rounds[2] == rounds[0]
