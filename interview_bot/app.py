"""Building the process's singletons from settings (no module-level state anywhere)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chat.clock import Clock, system_clock
from flows.loader import load_paths
from flows.model import Flow
from interview_bot.settings import Settings
from scheduler.planning import Planner
from scheduler.policy import POLICY_FILE, load_policy
from services.interview_service import InterviewService
from storage import migrate
from storage.crypto import Cipher, KeyProblem
from storage.database import create_engine, session_factory


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    flows: dict[str, Flow]
    interviews: InterviewService
    planner: Planner


class EncryptionNotConfigured(ValueError):
    """No keys, and nobody said this is a demo."""


def cipher_from(settings: Settings) -> Cipher | None:
    """The settings' cipher; None only when SECURITY_DEMO says so explicitly."""
    security = settings.security
    if not security.encryption_keys or security.blind_index_key is None:
        if security.demo:
            return None
        raise EncryptionNotConfigured(
            "personal data is encrypted at rest, and no keys are set: run `interview-bot "
            "keys init` (it writes SECURITY_ENCRYPTION_KEYS and SECURITY_BLIND_INDEX_KEY to "
            ".env; keep a copy somewhere safe) or set SECURITY_DEMO=true for a demo without "
            "encryption")
    try:
        return Cipher([k.get_secret_value() for k in security.encryption_keys],
                      security.blind_index_key.get_secret_value())
    except KeyProblem as exc:
        raise EncryptionNotConfigured(str(exc)) from None


@asynccontextmanager
async def open_app(settings: Settings, *, database_url: str | None = None,
                   clock: Clock = system_clock) -> AsyncIterator[App]:
    """Load flows, connect, migrate to the newest schema, and build the services."""
    flows = load_paths(settings.interview.flows)
    engine = create_engine(database_url or settings.database.url,
                           echo=settings.database.echo,
                           synchronous=settings.database.synchronous,
                           pool_size=settings.database.pool_size,
                           cipher=cipher_from(settings))
    try:
        await migrate.upgrade(engine)
        policy = load_policy(settings.reminders.policy_file or POLICY_FILE)
        planner = Planner(policy, settings.interview.timezone,
                          settings.interview.retention_months)
        service = InterviewService(flows, clock, settings.interview.timezone, planner,
                                   vague_rules=policy.vague_answers, brief_rules=policy.brief,
                                   warning_rules=policy.warnings, pool_rules=policy.pool)
        yield App(settings, engine, session_factory(engine), flows, service, planner)
    finally:
        await engine.dispose()
