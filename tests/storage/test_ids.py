"""Ids are never handed out twice: a merged or erased record's id keeps naming it alone
(issue 24, point 3: on SQLite a new customer got a merged one's id, and with it that
customer's audit trail and export)."""

from __future__ import annotations

from sqlalchemy import select, text

from services.interview_service import Respondent
from storage import customers, merging, personal
from storage.models import AuditEntry, Customer
from tests.conftest import FakeClock
from tests.storage.helpers import harness

CLI = Respondent("cli", "cli")


async def test_a_new_record_never_takes_a_merged_or_erased_ones_id(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            kept = await h.service.create_customer(s, "华东精密机械有限公司", CLI)
            twin = await h.service.create_customer(s, "华东精密", CLI)  # the highest id
            person = await customers.new_contact(s, twin.id, clock())
            person.name = "钱经理"
        merged_id, contact_id = twin.id, person.id
        async with h.sessions.begin() as s:
            found = await s.get(Customer, merged_id)
            kept_now = await s.get(Customer, kept.id)
            assert found is not None and kept_now is not None
            await merging.merge(s, found, kept_now, actor="cli", now=clock())
        async with h.sessions.begin() as s:
            erased = await s.get(Customer, kept.id)
            assert erased is not None
            await personal.erase(s, erased, actor="cli", channel="cli", now=clock())
        async with h.sessions.begin() as s:
            newcomer = await h.service.create_customer(s, "北方重工", CLI)
            new_person = await customers.new_contact(s, newcomer.id, clock())
        assert newcomer.id > merged_id and new_person.id > contact_id
        async with h.sessions() as s:
            held = await personal.export_personal(s, newcomer)
            about = (await s.scalars(select(AuditEntry.action).where(
                AuditEntry.entity == "customer",
                AuditEntry.entity_id == str(newcomer.id)))).all()
        assert about == ["customer.create"]  # none of the merged one's history
        assert not any("merge" in line or "erase" in line for line in held["audit"])
        assert [c["id"] for c in held["contacts"]] == [new_person.id]


async def test_an_existing_sqlite_database_keeps_above_ids_it_already_gave_out(
        tmp_path: object, shipped_flows: dict, clock: FakeClock) -> None:
    """The upgrade (0017) starts each sequence above every id the audit trail still names,
    not only above the rows left: a customer deleted before the upgrade keeps its id."""
    from pathlib import Path

    from storage import migrate
    from storage.database import create_engine
    from tests.conftest import TEST_CIPHER

    url = f"sqlite+aiosqlite:///{Path(str(tmp_path)) / 'old.db'}"
    engine = create_engine(url, cipher=TEST_CIPHER)
    try:
        async with engine.begin() as c:
            await c.run_sync(lambda sync: _upgrade_to(sync, "0016"))
            await c.execute(text(
                "INSERT INTO customers (id, name, name_key, tags, created_at, updated_at) "
                "VALUES (1, 'Kept', 'kept', '[]', '2026-01-01', '2026-01-01')"))
            await c.execute(text(  # customer 2 was merged away before the upgrade
                "INSERT INTO customer_merges (id, from_id, into_id, actor, moved, at) "
                "VALUES (1, 2, 1, 'cli', '{}', '2026-01-02')"))
        await migrate.upgrade(engine)
        async with engine.begin() as c:
            await c.execute(text(
                "INSERT INTO customers (name, name_key, tags, created_at, updated_at) "
                "VALUES ('New', 'new', '[]', '2026-01-03', '2026-01-03')"))
            new_id = (await c.execute(text(
                "SELECT id FROM customers WHERE name = 'New'"))).scalar_one()
        assert new_id == 3
    finally:
        await engine.dispose()


def _upgrade_to(connection: object, revision: str) -> None:
    from alembic import command

    from storage.migrate import alembic_config

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
