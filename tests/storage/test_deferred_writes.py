"""A batch's answers and interview states are written together (storage.deferred), yet none
is lost or shown missing: a query right after an answer sees it, an answer or a step given
in an update that failed (its savepoint rolled back) is not stored, and one given before a
failing update but written while it ran is stored all the same."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import answers, customers, interviews
from storage.models import Answer, Interview
from tests.conftest import FakeClock


async def _interview(session: AsyncSession, clock: FakeClock, name: str) -> Interview:
    customer = await customers.create(session, name, clock())
    return await interviews.create(
        session, flow_id="pre_meeting", flow_version="1", fingerprint="f", language="en",
        customer_id=customer.id, respondent_key=f"tg:{customer.id}", state={}, now=clock())


async def _answer(session: AsyncSession, interview: Interview, clock: FakeClock,
                  question_id: str, value: str, replaces: bool = False) -> None:
    await answers.record(session, interview, question_id=question_id, stage="situation",
                         maps_to=None, raw_text=value, value=value, other_text=None,
                         answered_by=interview.respondent_key, now=clock(), replaces=replaces)


async def _stored(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, bool]]:
    async with sessions() as session:
        rows = await session.execute(select(Answer.question_id, Answer.value,
                                            Answer.superseded_at.is_(None)).order_by(Answer.id))
        return [(q, v, current) for q, v, current in rows]


async def test_a_query_after_an_answer_sees_it_and_an_edit_supersedes_it(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    async with sessions.begin() as session:
        interview = await _interview(session, clock, "Acme")
        await _answer(session, interview, clock, "company", "Acme Ltd")
        assert [a.value for a in await answers.current(session, interview.id)] == ["Acme Ltd"]
        await _answer(session, interview, clock, "company", "Acme Holdings", replaces=True)
    assert await _stored(sessions) == [("company", "Acme Ltd", False),
                                       ("company", "Acme Holdings", True)]


async def test_an_answer_of_a_failed_update_goes_and_one_before_it_stays(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    async with sessions.begin() as session:
        first = await _interview(session, clock, "Acme")
        second = await _interview(session, clock, "Bolt")
        async with session.begin_nested():  # the first update: its answer waits to be written
            await _answer(session, first, clock, "company", "Acme Ltd")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():  # the second: both written, then it fails
                await _answer(session, second, clock, "company", "Bolt GmbH")
                assert await session.scalar(select(func.count()).select_from(Answer)) == 2
                raise RuntimeError("this update failed")
        async with session.begin_nested():  # the third goes on
            await _answer(session, second, clock, "budget", "yes")
    assert await _stored(sessions) == [("company", "Acme Ltd", True), ("budget", "yes", True)]


async def test_a_step_of_a_failed_update_is_undone_and_the_one_before_it_kept(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    def step(interview: Interview, state: dict[str, str], update_id: int) -> None:
        interviews.save_step(session, interview, state=state, fingerprint="f",
                             flow_version="1", language="en", now=clock(),
                             last_update_id=update_id)

    async with sessions.begin() as session:
        interview = await _interview(session, clock, "Acme")
        async with session.begin_nested():
            step(interview, {"answers": "first"}, 1)
        assert interview.state == {"answers": "first"}  # the object has it at once
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                step(interview, {"answers": "second"}, 2)
                await session.scalar(select(func.count()).select_from(Interview))  # writes both
                raise RuntimeError("this update failed")
        # the object no longer shows the failed step: it is read again when next used
        assert "state" in inspect(interview).expired_attributes
        await session.refresh(interview)
        assert (interview.state, interview.last_update_id) == ({"answers": "first"}, 1)
    async with sessions() as session:
        stored = await session.get(Interview, interview.id)
        assert stored is not None
        assert (stored.state, stored.last_update_id) == ({"answers": "first"}, 1)


async def test_a_transaction_rolled_back_writes_none(
        sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            interview = await _interview(session, clock, "Acme")
            await _answer(session, interview, clock, "company", "Acme Ltd")
            raise RuntimeError("the batch failed")
    async with sessions.begin() as session:  # the next transaction starts clean
        interview = await _interview(session, clock, "Bolt")
        await _answer(session, interview, clock, "company", "Bolt GmbH")
    assert await _stored(sessions) == [("company", "Bolt GmbH", True)]
