"""Shared fixtures: a fresh database per test, on SQLite and (when reachable) PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432/test). In CI
(CI=true) an unreachable server fails the run; elsewhere those tests skip, saying why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flows.loader import default_flow_dir, load_paths
from flows.model import Flow
from storage.crypto import Cipher
from storage.database import create_engine, session_factory

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


def _pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"


async def _migrated(url: str) -> None:
    from storage import migrate
    from storage.database import create_engine

    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory,
                       postgres_available: str | None) -> Iterator[dict[str, str]]:
    """Databases migrated once per test process, copied for each test: every test starts
    from the schema the migrations build (half a second of migrating each, saved)."""
    folder = tmp_path_factory.mktemp("template")
    made = {"sqlite": str(folder / "template.db")}
    asyncio.run(_migrated(f"sqlite+aiosqlite:///{made['sqlite']}"))
    if not postgres_available:
        made["postgresql"] = f"ib_template_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(f'CREATE DATABASE "{made["postgresql"]}"'))
        asyncio.run(_migrated(_pg_url(made["postgresql"])))
    try:
        yield made
    finally:
        if "postgresql" in made:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_available: str | None,
           migrated_templates: dict[str, str]) -> Iterator[str]:
    """A URL to a database of each kind with the schema the migrations build, and no rows
    (a copy of a migrated template); the database is dropped afterwards."""
    if request.param == "sqlite":
        shutil.copyfile(migrated_templates["sqlite"], tmp_path / "test.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    yield from _pg_database(postgres_available, migrated_templates.get(request.param))


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on `db_url` (each kind of database), personal data encrypted as in
    production; the engine is closed afterwards."""
    engine = create_engine(db_url, cipher=TEST_CIPHER)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path,
                 postgres_available: str | None) -> Iterator[str]:
    """A URL to an empty database of each kind (for the migrations' own tests)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    yield from _pg_database(postgres_available, None)


def _pg_database(unavailable: str | None, template: str | None) -> Iterator[str]:
    """A throwaway PostgreSQL database (a copy of `template`, or empty), dropped after."""
    if unavailable:
        pytest.skip(unavailable)
    name = f"ib_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    asyncio.run(_admin(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield _pg_url(name)
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Under TEST_CLOCKS (several moments, space-separated: `make test-clocks`) each test
    marked `wall_clock` runs once per moment, in one pytest run."""
    clocks = os.environ.get("TEST_CLOCKS", "").split()
    if clocks and metafunc.definition.get_closest_marker("wall_clock") is not None:
        metafunc.parametrize("test_clock", clocks, indirect=True,
                             ids=[f"clock-{moment[:16]}" for moment in clocks])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under TEST_CLOCKS a wall-clock test runs at every clock, but not at every clock for
    every framework and database: the date lives in the core they share, so those take turns
    (clock 1 with the first framework or database, clock 2 with the next, ...) until every
    clock and every one of them has run; which pairs, varies from test to test. Half the bot
    starts of the full matrix, the same dates and the same adapters covered."""
    by_test: dict[str, list[tuple[pytest.Item, str, tuple[tuple[str, str], ...]]]] = {}
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is None or "test_clock" not in spec.params:
            continue
        rest = tuple(sorted((k, repr(v)) for k, v in spec.params.items() if k != "test_clock"))
        by_test.setdefault(item.nodeid.split("[")[0], []).append(
            (item, spec.params["test_clock"], rest))
    dropped: set[int] = set()
    for name, runs in by_test.items():
        clocks = list(dict.fromkeys(clock for _, clock, _ in runs))
        others = list(dict.fromkeys(rest for _, _, rest in runs))
        turn = zlib.crc32(name.encode())  # which framework meets which clock varies by test
        kept = {(clocks[(k + turn) % len(clocks)], others[k % len(others)])
                for k in range(max(len(clocks), len(others)))}
        dropped.update(id(item) for item, clock, rest in runs if (clock, rest) not in kept)
    if dropped:
        config.hook.pytest_deselected(items=[i for i in items if id(i) in dropped])
        items[:] = [i for i in items if id(i) not in dropped]


@pytest.fixture(autouse=True)
def test_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The moment a bot under test starts at (tests/clock.py), when TEST_CLOCKS gave one;
    first of the test's fixtures, so every clock made after it reads it."""
    moment = getattr(request, "param", None)
    if moment is not None:
        monkeypatch.setenv("TEST_CLOCK", moment)
