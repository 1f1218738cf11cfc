"""The inbox stays quick to claim from however many updates it has done: the claim reads
the open updates only, through the partial indexes over them, on both databases; and what
it has handled is cleared after a week."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.jobs import ReminderRuntime
from storage import inbox
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import InboxUpdate
from tests.conftest import TEST_CIPHER, FakeClock


def _message(update_id: int, chat: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": "x"}}


async def test_a_claim_reads_only_the_open_updates(db_url: str, clock: FakeClock) -> None:
    engine = create_engine(db_url, cipher=TEST_CIPHER)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        now: datetime = clock()
        for first in range(1, 2001, 200):  # 2,000 updates handled and done
            async with sessions.begin() as session:
                await inbox.store(session, [_message(first + n, 7000 + n % 50)
                                            for n in range(200)], now)
                claimed = await inbox.claim(session, now)
                await inbox.replying(session, {c.update_id: [] for c in claimed})
            async with sessions.begin() as session:
                await inbox.mark_done(session, [c.update_id for c in claimed], now)
        async with sessions.begin() as session:  # two open ones of one chat, one of another
            await inbox.store(session, [_message(3001, 7001), _message(3002, 7001),
                                        _message(3003, 7002)], now)
        # the open states are written into the statement as it runs: behind a bound parameter
        # (a prepared statement's generic plan) the partial indexes could not serve it
        assert str(inbox.due(now, 200).compile(engine.sync_engine)).count(
            "status IN ('pending', 'replying')") == 2
        async with engine.connect() as c:
            if engine.dialect.name == "postgresql":
                await c.execute(text("ANALYZE inbox_updates"))
            query = inbox.due(now, 200).compile(engine.sync_engine,
                                                compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            plan = "\n".join(str(row) for row in await c.execute(text(explain + str(query))))
        assert "ix_inbox_updates_open_chat" in plan, plan  # an earlier open update of a chat
        async with sessions.begin() as session:
            claimed = await inbox.claim(session, now)
        assert [(c.update_id, c.earlier_open) for c in claimed] == [
            (3001, False), (3002, True), (3003, False)]
    finally:
        await engine.dispose()


async def test_handled_updates_are_cleared_after_a_week_and_nothing_else(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    async with sessions.begin() as session:
        await inbox.store(session, [_message(n, 7000 + n) for n in (1, 2, 3, 4)], clock())
        await inbox.mark_done(session, [1, 2], clock())
        await inbox.retry_later(session, 3, clock(), "boom", max_attempts=1)  # failed
        assert await inbox.new_event(session, "feishu", "ev-old", clock()) is not None
    clock.advance(days=6)
    async with sessions.begin() as session:
        assert await inbox.new_event(session, "feishu", "ev-new", clock()) is not None
        assert await inbox.purge_done(session, clock()) == 0  # not a week yet
    clock.advance(days=2)
    runtime = ReminderRuntime(sessions, None, None, clock,  # type: ignore[arg-type]
                              tidy=inbox.purge_done)
    await runtime._tidy()
    async with sessions.begin() as session:
        rows = await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))
        left = {update_id: status for update_id, status in rows}
        # the id of an event seen a week ago is forgotten; one seen two days ago is not
        assert await inbox.new_event(session, "feishu", "ev-new", clock()) is None
        assert await inbox.new_event(session, "feishu", "ev-old", clock()) is not None
    assert left == {3: "failed", 4: "pending"}
    # at most one clearing an hour, however often the planning runs
    async with sessions.begin() as session:
        await inbox.store(session, [_message(5, 7005)], clock())
        await inbox.mark_done(session, [5], clock() - inbox.KEEP_DONE * 2)
    await runtime._tidy()
    clock.advance(minutes=59)
    await runtime._tidy()
    async with sessions() as session:
        assert await session.get(InboxUpdate, 5) is not None
    clock.advance(minutes=2)
    await runtime._tidy()
    async with sessions() as session:
        assert await session.get(InboxUpdate, 5) is None
