"""SQLite on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (cursor, execute, fetch, close) on a worker thread and wakes the
loop for each result. Measured here, one statement costs 162 µs of CPU that way and 0.7 µs
called directly: the hops were most of what an answer cost (bench M1). A statement on a
local SQLite file in WAL mode takes microseconds and never waits for readers, so it runs
in place. The one real wait, another process holding the write lock (the CLI beside the
bot), is not left to SQLite's busy handler, which would block the loop: the connection has
no busy timeout, and a "database is locked" is retried here after an `asyncio.sleep`, up
to the same total wait. A long read (a report over many customers) does hold the loop for
its duration; PostgreSQL, with its own async driver, is the choice for large teams.

The objects below offer what SQLAlchemy's adapter calls on an aiosqlite connection, and
are handed to it through `create_async_engine(async_creator=...)`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
# naps while another process holds the write lock: short, so a gap between another
# process's transactions (an import's chunks leave 25 ms) is found
BACKOFF_SECONDS = (0.001, 0.002, 0.005, 0.01, 0.02)


class _Waiting:
    def __init__(self, timeout_seconds: float) -> None:
        self.timeout = timeout_seconds

    async def run(self, call: Callable[[], T]) -> T:
        """`call()`, retried while another connection holds the lock (nothing happened)."""
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            try:
                return call()
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # and its variants
                if not busy or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
            attempt += 1


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor, waiting: _Waiting) -> None:
        self._cursor, self._waiting = cursor, waiting

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._waiting.run(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Any) -> InlineCursor:
        rows = list(parameters)
        await self._waiting.run(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunAtOnce:
    """SQLAlchemy sets the isolation level through aiosqlite's queue: run such calls now."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection, busy_timeout_seconds: float) -> None:
        self._conn = self._connection = connection
        self._waiting = _Waiting(busy_timeout_seconds)
        self._tx = _RunAtOnce()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._waiting)

    async def commit(self) -> None:
        await self._waiting.run(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()

    def foreign_keys(self, on: bool) -> None:
        """Switch foreign-key checks (only outside a transaction: SQLite ignores it inside)."""
        self._conn.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def inline_creator(database: str, busy_timeout_seconds: float, read_only: bool = False
                   ) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: connections that run in place
    (`read_only`: the file opened read-only, as `?mode=ro` on the URL asks)."""
    target = f"file:{database}?mode=ro" if read_only else database

    async def connect() -> InlineConnection:
        # no busy handler (timeout 0): a locked database is waited for above, not in SQLite
        connection = sqlite3.connect(target, timeout=0, isolation_level=None,
                                     check_same_thread=False, uri=read_only)
        return InlineConnection(connection, busy_timeout_seconds)
    return connect
