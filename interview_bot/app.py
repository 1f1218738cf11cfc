"""Building the process's singletons from settings (no module-level state anywhere)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from flows.loader import load_paths
from flows.model import Flow
from interview_bot.interviews import Clock, InterviewService
from interview_bot.settings import Settings
from scheduler.planning import Planner
from scheduler.policy import load_policy
from storage import migrate
from storage.database import create_engine, session_factory


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    flows: dict[str, Flow]
    interviews: InterviewService
    planner: Planner


@asynccontextmanager
async def open_app(settings: Settings, *, database_url: str | None = None,
                   clock: Clock = system_clock) -> AsyncIterator[App]:
    """Load flows, connect, migrate to the newest schema, and build the services."""
    flows = load_paths(settings.interview.flows)
    engine = create_engine(database_url or settings.database.url,
                           echo=settings.database.echo,
                           synchronous=settings.database.synchronous)
    try:
        await migrate.upgrade(engine)
        planner = Planner(load_policy(), settings.interview.timezone)
        service = InterviewService(flows, clock, settings.interview.timezone, planner)
        yield App(settings, engine, session_factory(engine), flows, service, planner)
    finally:
        await engine.dispose()
