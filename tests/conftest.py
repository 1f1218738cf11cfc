"""Shared fixtures: a fresh database per test, on SQLite and (when reachable) PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432/test). In CI
(CI=true) an unreachable server fails the run; elsewhere those tests skip, saying why.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from flows.loader import default_flow_dir, load_paths
from flows.model import Flow
from storage.crypto import Cipher

# Every test (and every process a test starts) encrypts personal data, with keys made
# for this run.
os.environ.setdefault("SECURITY_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("SECURITY_BLIND_INDEX_KEY", "test-blind-index-key-" + uuid.uuid4().hex)
TEST_CIPHER = Cipher(os.environ["SECURITY_ENCRYPTION_KEYS"].split(","),
                     os.environ["SECURITY_BLIND_INDEX_KEY"])

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_problem() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({exc.__class__.__name__}: {exc})"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> str | None:
    problem = _pg_problem()
    if problem and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {problem}")
    return problem


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           postgres_available: str | None) -> Iterator[str]:
    """A URL to an empty database of each kind; the database is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    if postgres_available:
        pytest.skip(postgres_available)
    name = f"ib_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def shipped_flows() -> dict[str, Flow]:
    return load_paths([default_flow_dir()])


class FakeClock:
    """A controllable clock: starts at a fixed moment, moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
