"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

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


async def test_the_private_card_migration_keeps_existing_data(db_url: str) -> None:
    """0009 rebuilds customers and contacts on SQLite (other tables refer to them): a
    database with a customer, a contact and an interview upgrades with every row intact,
    the old plain text still readable."""
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0008")
            await connection.execute(text(
                "INSERT INTO customers (id, name, name_key, tags, need_description, employees, "
                "created_at, updated_at) VALUES (1, 'Old Co', 'old co', '[]', 'slow quotes', "
                "120, :t, :t)"), {"t": T0})
            await connection.execute(text(
                "INSERT INTO contacts (id, customer_id, name, created_at, updated_at) "
                "VALUES (1, 1, 'Li Wei', :t, :t)"), {"t": T0})
            await connection.execute(text(
                "INSERT INTO interviews (id, flow_id, flow_version, fingerprint, customer_id, "
                "contact_id, respondent_key, language, status, state, started_at, updated_at) "
                "VALUES (1, 'pre_meeting', '1', 'x', 1, 1, 'terminal', 'en', 'active', '{}', "
                ":t, :t)"), {"t": T0})
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as connection:
            row = (await connection.execute(text(
                "SELECT c.name, c.need_description, c.employees, k.name, i.contact_id "
                "FROM customers c JOIN contacts k ON k.customer_id = c.id "
                "JOIN interviews i ON i.customer_id = c.id"))).one()
        assert tuple(row) == ("Old Co", "slow quotes", 120, "Li Wei", 1)
    finally:
        await engine.dispose()


T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = migrate.alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
