"""The inbox stays quick to claim from however many updates it has done: the claim reads
the open updates only, through the partial indexes over them, on both databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from storage import inbox
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
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
