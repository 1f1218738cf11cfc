"""Applying Alembic migrations from inside the application (also done on every start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Replicas starting together on one PostgreSQL take turns: the first migrates, the others
# wait for its transaction and then find the schema current. The number is arbitrary but
# fixed ("interview" in ASCII).
MIGRATION_LOCK = 0x696E74657276


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class MigrationError(RuntimeError):
    """A migration left the data inconsistent; nothing of it was committed."""


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema; safe to call on every start."""
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
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
