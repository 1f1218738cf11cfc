"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from flows.card_fields import CARD_FIELDS
from storage import accounts, audit, inbox, migrate
from storage.card import CARD_COLUMNS
from storage.database import create_engine, session_factory
from storage.models import Base
from tests.conftest import TEST_CIPHER


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models_and_are_idempotent(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
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


@pytest.mark.parametrize("empty_db_url", ["postgresql"], indirect=True)
async def test_replicas_starting_together_migrate_once(empty_db_url: str) -> None:
    engines = [create_engine(empty_db_url) for _ in range(3)]
    try:  # three replicas of a new deployment start at the same moment on an empty database
        await asyncio.wait_for(  # without a lock between them they block each other
            asyncio.gather(*(migrate.upgrade(engine) for engine in engines)), 60)
        assert await migrate.current_revision(engines[0]) == migrate.head_revision()
    finally:
        for engine in engines:
            await engine.dispose()


def test_every_card_field_has_a_column() -> None:
    assert set(CARD_FIELDS) == set(CARD_COLUMNS)


async def test_the_private_card_migration_keeps_existing_data(empty_db_url: str) -> None:
    """0009 rebuilds customers and contacts on SQLite (other tables refer to them): a
    database with a customer, a contact and an interview upgrades with every row intact,
    the old plain text still readable."""
    engine = create_engine(empty_db_url)
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


FEISHU_A, FEISHU_B, FEISHU_C = -(2 ** 60) - 1, -(2 ** 60) - 2, -(2 ** 60) - 3  # 0016's ids


async def _people_before_0019(engine: AsyncEngine) -> None:
    """A team as 0018 kept it: Wang on Telegram (wrote, chose English, a command pending),
    Li only on Feishu (her Feishu address as her "Telegram id"), Zhao on both (never wrote
    to either), Chen deactivated; a customer who wrote on Telegram and was blocked, a Feishu
    colleague who wrote but is not registered; entries, an interview and a reminder that
    name people by those numbers."""
    async with engine.begin() as c:
        await c.run_sync(_upgrade_to, "0018")
        await c.execute(text(
            "INSERT INTO users (id, telegram_id, feishu_open_id, name, role, language, active, "
            "created_at) VALUES (1, 7001, NULL, 'Wang', 'rep', 'zh', true, :t), "
            "(2, :a, 'ou_li', 'Li', 'rep', 'zh', true, :t), "
            "(3, 7003, 'ou_zhao', 'Zhao', 'manager', 'en', true, :t), "
            "(4, 7004, NULL, 'Chen', 'rep', 'zh', false, :t)"), {"t": T0, "a": FEISHU_A})
        await c.execute(text(
            "INSERT INTO feishu_accounts (id, open_id, created_at) VALUES (1, 'ou_li', :t), "
            "(2, 'ou_zhao', :t), (3, 'ou_colleague', :t)"), {"t": T0})
        await c.execute(text(
            "INSERT INTO telegram_accounts (telegram_id, language, language_chosen, "
            "unreachable_at, pending, created_at, updated_at) VALUES "
            "(7001, 'en', true, NULL, '{\"command\": \"edit\", \"name\": \"Acme\"}', :t, :t), "
            "(:a, 'en', true, NULL, NULL, :t, :t), "
            "(5005, 'zh', false, :t, NULL, :t, :t), "
            "(:c, 'zh', false, NULL, NULL, :t, :t)"), {"t": T0, "a": FEISHU_A, "c": FEISHU_C})
        await c.execute(text(
            "INSERT INTO customers (id, name, name_key, tags, owner_id, created_at, updated_at) "
            "VALUES (1, 'Acme', 'acme', '[]', 2, :t, :t)"), {"t": T0})
        await c.execute(text(
            "INSERT INTO interviews (id, flow_id, flow_version, fingerprint, customer_id, "
            "respondent_key, respondent_user_id, language, status, state, started_at, "
            "updated_at) VALUES (1, 'post_call', '1', 'x', 1, :key, 2, 'en', 'active', '{}', "
            ":t, :t)"), {"t": T0, "key": f"tg:{FEISHU_A}"})
        await c.execute(text(
            "INSERT INTO reminders (id, kind, customer_id, recipient_chat, due_at, status, "
            "attempts, dedupe_key, payload, created_at, updated_at) VALUES (1, 'nudge', 1, "
            "5005, :t, 'pending', 0, 'nudge:1', '{}', :t, :t)"), {"t": T0})
    async with session_factory(engine).begin() as s:
        for actor in ("tg:7001", f"tg:{FEISHU_A}", "tg:5005"):
            await audit.append(s, at=T0, actor=actor, action="card.read", entity="customer",
                               entity_id=1, channel="telegram")


async def test_the_people_migration_carries_every_account_and_binding(empty_db_url: str) -> None:
    """0019 moves Telegram and Feishu accounts and the users' ids into one accounts table:
    every row is there with its settings, every user keeps the accounts they had, every
    address stays what the inbox, the interviews and the reminders know, and old audit
    entries still name the person."""
    engine = create_engine(empty_db_url, cipher=TEST_CIPHER)
    try:
        await _people_before_0019(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as c:
            rows = (await c.execute(text(
                "SELECT channel, external_id, address, user_id, language, language_chosen, "
                "unreachable_at IS NOT NULL, pending IS NOT NULL FROM accounts "
                "ORDER BY id"))).all()
            columns = await c.run_sync(
                lambda sync: {col["name"] for col in inspect(sync).get_columns("users")})
            tables = await c.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert [tuple(r) for r in rows] == [
            ("feishu", "ou_li", FEISHU_A, 2, "en", True, False, False),
            ("feishu", "ou_zhao", FEISHU_B, 3, None, False, False, False),  # never wrote
            ("feishu", "ou_colleague", FEISHU_C, None, "zh", False, False, False),
            ("telegram", "5005", 5005, None, "zh", False, True, False),
            ("telegram", "7001", 7001, 1, "en", True, False, True),
            ("telegram", "7003", 7003, 3, None, False, False, False),  # their user's language
            ("telegram", "7004", 7004, 4, None, False, False, False)]
        assert not {"telegram_id", "feishu_open_id"} & columns
        assert not {"telegram_accounts", "feishu_accounts"} & tables
        async with session_factory(engine).begin() as s:
            found, users = await accounts.load(s, [7001, FEISHU_A, 7003, FEISHU_B, 5005])
            assert found[7001].pending == {"command": "edit", "name": "Acme"}
            assert {a: u.name for a, u in users.items()} == {
                7001: "Wang", FEISHU_A: "Li", 7003: "Zhao", FEISHU_B: "Zhao"}
            assert await accounts.addresses_of(s, [1, 2, 3, 4]) == {
                1: 7001, 2: FEISHU_A, 3: 7003, 4: 7004}  # Telegram first, then Feishu
            named = await accounts.staff_named(s, {"tg:7001", f"tg:{FEISHU_A}", "tg:5005"})
            assert {a: u.name for a, u in named.items()} == {"tg:7001": "Wang",
                                                             f"tg:{FEISHU_A}": "Li"}
            assert await audit.verify_chain(s) is None  # old entries untouched
            newcomer = await accounts.account_for(s, "feishu", "ou_new", T0)
            assert newcomer.address == accounts.address_for(newcomer.id)
            assert newcomer.address not in (FEISHU_A, FEISHU_B, FEISHU_C)
    finally:
        await engine.dispose()


async def test_feishu_events_become_chat_events_with_their_ids(empty_db_url: str) -> None:
    """0020: Feishu's events join one table for every channel; their ids (the inbox's update
    ids come from them) stay, the next one comes after them, one sent again is still seen."""
    engine = create_engine(empty_db_url, cipher=TEST_CIPHER)
    try:
        async with engine.begin() as c:
            await c.run_sync(_upgrade_to, "0019")
            await c.execute(text("INSERT INTO feishu_events (id, event_id, received_at) VALUES "
                                 "(1, 'evt-a', :t), (2, 'evt-b', :t), (3, 'evt-c', :t)"),
                            {"t": T0})
        await migrate.upgrade(engine)
        async with session_factory(engine).begin() as s:
            rows = (await s.execute(text(
                "SELECT id, channel, event_id FROM chat_events ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, "feishu", "evt-a"), (2, "feishu", "evt-b"),
                                                (3, "feishu", "evt-c")]
            assert await inbox.new_event(s, "feishu", "evt-b", T0) is None  # sent again
            fourth = await inbox.new_event(s, "feishu", "evt-d", T0)
            assert fourth is not None and fourth > inbox.EVENTS_FROM + 3  # after the old ones
            # the same id on another channel is another event
            fifth = await inbox.new_event(s, "dingtalk", "evt-a", T0)
            assert fifth is not None and fifth > fourth
    finally:
        await engine.dispose()


def test_the_newest_script_name_is_alembics_head() -> None:
    """Starting recognises a current database by the newest script's name, without loading
    Alembic: that name must be the head Alembic finds."""
    assert migrate.newest_revision() == migrate.head_revision()
