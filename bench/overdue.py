"""M5: the overdue-revisit queries over 1,000,000 customers, with and without the index,
on SQLite and PostgreSQL: the per-rep overdue counts of the report, and one manager's
digest (the overdue customers of a team of ten reps, loaded as the planner loads them)."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bench.bots import PG_ADMIN, _admin, drop_database
from bench.session import p50_p99_ms
from storage import migrate, reminders, reporting
from storage.database import create_engine, session_factory
from storage.models import Customer, User

CUSTOMERS = int(os.environ.get("BENCH_M5_CUSTOMERS", 1_000_000))
REPS = max(20, CUSTOMERS // 1_000)  # a thousand customers each
TEAM = list(range(2, 12))  # the manager (id 1) leads reps 2..11
TODAY = date(2026, 11, 23)
INDEXES = ["ix_customers_revisit_due_on", "ix_customers_owner_id", "ix_customers_owner_revisit"]


async def seed(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    now = datetime.now(UTC)
    rng = random.Random(5)
    async with engine.begin() as c:
        await c.execute(insert(User), [{"id": 1, "name": "Manager", "role": "manager",
                                        "language": "en", "active": True, "created_at": now}])
        await c.execute(insert(User), [
            {"id": i, "name": f"Rep {i}", "role": "rep", "language": "en", "active": True,
             "manager_id": 1 if i in TEAM else None, "created_at": now}
            for i in range(2, REPS + 2)])
    for first in range(0, CUSTOMERS, 50_000):
        rows = [{"name": f"Customer {n}", "name_key": f"customer {n}", "tags": [],
                 "owner_id": 2 + n % REPS, "created_at": now, "updated_at": now,
                 "revisit_due_on": TODAY + timedelta(days=rng.randint(-20, 200))}
                for n in range(first, first + 50_000)]
        async with engine.begin() as c:
            await c.execute(insert(Customer), rows)
    async with engine.begin() as c:
        await c.execute(text("ANALYZE"))
    await engine.dispose()


async def timings(url: str, runs: int = 40) -> dict[str, tuple[float, float]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    out: dict[str, list[float]] = {"report: overdue per rep (team)": [],
                                   "digest: a team's overdue customers": []}
    for n in range(runs + 5):  # the first five warm the caches and are not counted
        if n == 5:
            out = {k: [] for k in out}
        async with sessions() as s:
            t = time.perf_counter()
            counts = await reporting.overdue_by_owner(s, set(TEAM), TODAY)
            out["report: overdue per rep (team)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            overdue = await reminders.overdue_customers(s, TODAY, TEAM)
            out["digest: a team's overdue customers"].append(time.perf_counter() - t)
    assert counts and overdue
    await engine.dispose()
    return {k: p50_p99_ms(v) for k, v in out.items()}


async def drop_indexes(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as c:
        for name in INDEXES:
            await c.execute(text(f"DROP INDEX {name}"))
        await c.execute(text("ANALYZE"))
    await engine.dispose()


async def run(work: Path) -> dict[str, dict[str, dict[str, tuple[float, float]]]]:
    database = f"bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{database}"')
    pg = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    urls = {"SQLite": f"sqlite+aiosqlite:///{work / 'overdue.db'}",
            "PostgreSQL": f"{pg}/{database}"}
    results: dict[str, dict[str, dict[str, tuple[float, float]]]] = {}
    try:
        for kind, url in urls.items():
            t = time.perf_counter()
            await seed(url)
            print(f"M5 seeded {CUSTOMERS:,} customers on {kind} in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
            results[kind] = {"with index": await timings(url, runs=100)}
            await drop_indexes(url)
            results[kind]["without index"] = await timings(url, runs=20)
            print(f"M5 {kind}: {results[kind]}", flush=True)
    finally:
        await drop_database(database)
    return results


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(asyncio.run(run(Path(tmp))))
