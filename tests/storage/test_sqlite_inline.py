"""SQLite runs on the event loop's thread; a write lock held elsewhere is waited for without
stopping the loop, and given up on with SQLite's own error after the busy timeout."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.database import create_engine


async def test_a_write_waits_for_another_writer_while_the_loop_goes_on(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    first, second = create_engine(url), create_engine(url)
    async with first.begin() as c:
        await c.execute(text("CREATE TABLE t (x INTEGER)"))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    try:
        async with first.begin() as held:
            await held.execute(text("INSERT INTO t VALUES (1)"))
            waiting = asyncio.create_task(_insert(second, 2))
            await asyncio.sleep(0.3)  # the second writer waits; the loop does not
            assert not waiting.done() and ticks >= 10
        await asyncio.wait_for(waiting, 5)  # the lock is free: it goes through
        async with first.connect() as c:
            assert (await c.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all() == [1, 2]
    finally:
        ticking.cancel()
        await first.dispose()
        await second.dispose()


async def test_a_lock_held_past_the_busy_timeout_is_an_error(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr("storage.database.SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "l.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")  # another process, as it were, holding the lock
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await _insert(engine, 1)
    finally:
        holder.rollback()
        holder.close()
        await engine.dispose()


async def _insert(engine: object, value: int) -> None:
    async with engine.begin() as c:  # type: ignore[attr-defined]
        await c.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
