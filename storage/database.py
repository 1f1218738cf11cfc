"""One async engine per process, and the session factory units of work open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from storage.crypto import Cipher, attach
from storage.private_files import touch_private
from storage.sqlite_inline import inline_creator

# WAL lets readers run while one writer writes. With synchronous=NORMAL a process
# crash loses nothing committed; a power loss may roll back the last transactions
# (never corrupts the file). FULL also survives power loss, at a cost per commit.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL: the connections one process keeps, opened as they are needed and never more
# (SQLAlchemy's own default, 5 kept and 10 more closed again after each use, opened new
# connections all through a busy minute: each paid the connect, asyncpg's type
# introspection and its prepared statements again; bench M15 on PostgreSQL, side by side:
# 107 / 115 -> 162 / 162 callbacks/s with 15 kept, the same ceiling of 15)
POOL_SIZE = 15


SUPPORTED_DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
                     "postgresql+asyncpg": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite",
                     "sqlite+aiosqlite": "sqlite+aiosqlite"}
URL_EXAMPLES = "sqlite:///data/interviews.db or postgresql://user@host:5432/dbname"


class DatabaseUrlError(ValueError):
    """A database URL this program cannot use; the message says what is expected."""


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (`postgresql://`, `sqlite:///`) and pick the async driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"DATABASE_URL {url!r} is not a database URL: expected "
                               f"{URL_EXAMPLES}") from None
    driver = SUPPORTED_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise DatabaseUrlError(f"DATABASE_URL uses {parsed.drivername!r}, which this program "
                               f"does not support: use {URL_EXAMPLES}")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, echo: bool = False, synchronous: str = "NORMAL",
                  pool_size: int | None = None, cipher: Cipher | None = None) -> AsyncEngine:
    """`cipher` encrypts personal data on the way in and decrypts it on the way out;
    without one (a demo, or a tool that reads no personal data) values are plain."""
    url = normalise_url(url)
    parsed = make_url(url)
    options: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        read_only = parsed.query.get("mode") == "ro"
        if parsed.database and parsed.database != ":memory:" and not read_only:
            touch_private(Path(parsed.database))  # 0600 in a 0700 folder
        # One connection, handed out in turn by the pool's asyncio queue: SQLite has one
        # writer at a time anyway, and waiting in the queue costs nothing, where a second
        # connection waiting for the file lock sleeps in SQLite's busy handler (1, 2, 5,
        # 10 … 100 ms) long after the lock is free. Other processes (the CLI beside a
        # running bot) still meet the busy timeout.
        options.update(pool_size=1, max_overflow=0, async_creator=inline_creator(
            parsed.database or ":memory:", SQLITE_BUSY_TIMEOUT_MS / 1000, read_only))
        engine = _create_async_engine(parsed.difference_update_query(["mode"]), **options)
        _configure_sqlite(engine, synchronous)
    else:
        # asyncpg keeps 100 prepared statements per connection by default; the bot uses
        # more than that (the ORM's UPDATEs differ by the columns they set), and one pushed
        # out is prepared again, one more round trip (bench M1 on PostgreSQL: 0.45x -> 0.52x
        # the echo floor with 1000, side by side)
        options.update(pool_pre_ping=True, pool_size=pool_size or POOL_SIZE, max_overflow=0,
                       connect_args={"prepared_statement_cache_size": 1000})
        engine = _create_async_engine(url, **options)
    attach(engine.sync_engine.dialect, cipher)
    return engine


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    if synchronous.upper() not in ("NORMAL", "FULL"):
        raise ValueError(f"DATABASE_SYNCHRONOUS must be NORMAL or FULL, not {synchronous!r}")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA busy_timeout=0")  # waited for without blocking (sqlite_inline)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # SQLite ignores SELECT ... FOR UPDATE; taking the write lock at BEGIN
        # serialises units of work the way a row lock does on PostgreSQL.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
