"""The audit trail's chain is made at the commit: a transaction that has appended an entry
holds nobody up until it commits (replicas no longer queue behind each other's whole
batches), the chain stays whole, and an entry of a rolled-back savepoint is not written."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit
from storage.models import AuditEntry
from tests.conftest import FakeClock


async def _chained(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    """The entries' actions in chain order, once the chain is checked whole."""
    async with sessions() as session:
        assert await audit.verify_chain(session) is None
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_an_open_transaction_with_an_entry_does_not_hold_up_another(
        db_url: str, sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time anyway: this is about PostgreSQL")
    async with sessions() as first:
        await first.begin()
        await audit.append(first, at=clock(), actor="user:1", action="first",
                           entity="customer", entity_id=1, channel="cli")

        async def second() -> None:  # appends and commits meanwhile
            async with sessions.begin() as session:
                await audit.append(session, at=clock(), actor="user:2", action="second",
                                   entity="customer", entity_id=2, channel="cli")

        await asyncio.wait_for(second(), 10)  # (it waited for the first's commit)
        await first.commit()
    assert await _chained(sessions) == ["second", "first"]


async def test_an_entry_of_a_rolled_back_savepoint_is_not_written(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    async with sessions.begin() as session:
        await audit.append(session, at=clock(), actor="user:1", action="kept",
                           entity="customer", entity_id=1, channel="cli")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await audit.append(session, at=clock(), actor="user:1",
                                   action="rolled back", entity="customer", entity_id=1,
                                   channel="cli")
                raise RuntimeError("this update failed")
        async with session.begin_nested():
            await audit.append(session, at=clock(), actor="user:1", action="also kept",
                               entity="customer", entity_id=1, channel="cli")
    assert await _chained(sessions) == ["kept", "also kept"]


async def test_the_chain_holds_under_concurrent_appenders(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:

    async def appender(n: int) -> None:
        for i in range(10):
            async with sessions.begin() as session:
                for j in range(3):
                    await audit.append(session, at=clock(), actor=f"user:{n}",
                                       action=f"a{i}.{j}", entity="customer",
                                       entity_id=n, channel="cli")
                await asyncio.sleep(0)

    await asyncio.gather(*(appender(n) for n in range(4)))
    assert len(await _chained(sessions)) == 120
