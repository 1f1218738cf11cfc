"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from flows.card_fields import CARD_FIELDS
from storage import migrate
from storage.card import CARD_COLUMNS
from storage.database import create_engine
from storage.models import Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models_and_are_idempotent(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # a second start changes nothing
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"customers", "contacts", "users", "interviews", "answers", "audit_log"} <= tables
    finally:
        await engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_replicas_starting_together_migrate_once(db_url: str) -> None:
    engines = [create_engine(db_url) for _ in range(3)]
    try:  # three replicas of a new deployment start at the same moment on an empty database
        await asyncio.wait_for(  # without a lock between them they block each other
            asyncio.gather(*(migrate.upgrade(engine) for engine in engines)), 60)
        assert await migrate.current_revision(engines[0]) == migrate.head_revision()
    finally:
        for engine in engines:
            await engine.dispose()


def test_every_card_field_has_a_column() -> None:
    assert set(CARD_FIELDS) == set(CARD_COLUMNS)
