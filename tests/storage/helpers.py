"""Building a real service on a real database for storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from flows.model import Flow
from scheduler.planning import Planner
from scheduler.policy import load_policy
from services.interview_service import InterviewService, Respondent
from storage import migrate
from storage.database import create_engine, session_factory
from tests.conftest import TEST_CIPHER, FakeClock

REP = Respondent("tg:1001", "telegram")


@dataclass
class Harness:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    service: InterviewService
    clock: FakeClock
    planner: Planner


@asynccontextmanager
async def harness(url: str, flows: Mapping[str, Flow], clock: FakeClock) -> AsyncIterator[Harness]:
    engine = create_engine(url, cipher=TEST_CIPHER)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        planner = Planner(load_policy(), "Asia/Shanghai")
        service = InterviewService(flows, clock, "Asia/Shanghai", planner)
        yield Harness(engine, sessions, service, clock, planner)
    finally:
        await engine.dispose()
