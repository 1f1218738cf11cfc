"""Applying Alembic migrations from inside the application (also done on every start).

A database already at the newest revision is recognised by one query, without loading
Alembic and its 22 migration scripts: every command and bot start pays for that otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Replicas starting together on one PostgreSQL take turns: the first migrates, the others
# wait for its transaction and then find the schema current. The number is arbitrary but
# fixed ("interview" in ASCII).
MIGRATION_LOCK = 0x696E74657276


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class MigrationError(RuntimeError):
    """A migration left the data inconsistent; nothing of it was committed."""


def newest_revision() -> str:
    """The head revision, from the scripts' names (`NNNN_what.py` holds revision NNNN, each
    revising the one before: a test holds Alembic's head to it)."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


async def is_current(engine: AsyncEngine) -> bool:
    """The database is at the newest revision (False too when it has no schema yet)."""
    async with engine.connect() as connection:  # a server that is down says so here
        try:
            found = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalars().all()
        except DBAPIError:  # no alembic_version table: a new database
            return False
    return list(found) == [newest_revision()]


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema; safe to call on every start."""
    if await is_current(engine):
        return
    if engine.dialect.name == "sqlite":
        await _upgrade_sqlite(engine)
        return
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": MIGRATION_LOCK})
        await connection.run_sync(_upgrade)


async def _upgrade_sqlite(engine: AsyncEngine) -> None:
    """SQLite changes a column by rebuilding its table; dropping a table others refer to
    counts as deleting its rows, so foreign keys are switched off for the rebuild (the way
    SQLite's documentation says) and every reference is checked before the commit."""
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None  # an InlineConnection (storage/sqlite_inline.py)
        raw.foreign_keys(False)
        try:
            async with connection.begin():
                await connection.run_sync(_upgrade)
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise MigrationError(f"the migration would leave {len(broken)} broken "
                                         f"reference(s), e.g. {tuple(broken[0])}; nothing "
                                         "was changed")
        finally:
            raw.foreign_keys(True)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
