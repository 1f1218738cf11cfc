"""M13: the team pool's release pass (issue 28) over 20,000 owned customers, on SQLite and
PostgreSQL, beside the reminder planning pass that runs it.

Customers of 20 reps, grades A-E, last worked on 0-40 days ago: about half are past their
grade's days (released by the first pass), some within the warning days. Measured: the
first release pass (warnings and releases), the next one (nothing left to do), and the
whole planning pass after it. Target: the release pass <= 2 s.

    python -m bench.pool          # writes bench/RESULTS-M13.md
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select

from bench.bots import PG_ADMIN, _admin, drop_database
from scheduler.planning import Planner
from scheduler.policy import load_policy
from scheduler.pool import release_pass
from storage import migrate
from storage.crypto import Cipher
from storage.database import create_engine, session_factory
from storage.models import Customer, User

CUSTOMERS = int(os.environ.get("BENCH_M13_CUSTOMERS", 20_000))
REPS = 20
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
HERE = Path(__file__).resolve().parent
CIPHER = Cipher([Fernet.generate_key().decode()], "bench-blind-index-" + "k" * 32)


async def _seed(sessions: object) -> None:
    async with sessions.begin() as s:  # type: ignore[attr-defined]
        await s.execute(insert(User), [
            {"id": i, "name": f"销售 {i}", "role": "rep" if i > 1 else "manager",
             "language": "zh", "active": True, "manager_id": 1 if i > 1 else None,
             "created_at": NOW} for i in range(1, REPS + 2)])
        for first in range(0, CUSTOMERS, 5_000):
            await s.execute(insert(Customer), [
                {"name": f"客户 {n} 有限公司", "name_key": f"客户{n}", "tags": [],
                 "owner_id": 2 + n % REPS, "grade": "ABCDE"[n % 5],
                 "worked_at": NOW - timedelta(days=n % 41, hours=n % 7),
                 "created_at": NOW - timedelta(days=400), "updated_at": NOW}
                for n in range(first, min(first + 5_000, CUSTOMERS))])


async def measure(url: str) -> dict[str, float]:
    engine = create_engine(url, cipher=CIPHER)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        await _seed(sessions)
        policy = load_policy()
        policy.pool.enabled = True  # it ships off
        planner = Planner(policy, "Asia/Shanghai")
        found: dict[str, float] = {}
        for name in ("release pass, first", "release pass, next"):
            began = time.perf_counter()
            async with sessions.begin() as s:
                released = await release_pass(s, policy.pool, NOW, planner.deliverable)
            found[name] = (time.perf_counter() - began) * 1000
            found[f"{name}: released"] = released
        began = time.perf_counter()
        async with sessions.begin() as s:
            await planner.plan(s, NOW)
        found["planning pass, beside it"] = (time.perf_counter() - began) * 1000
        async with sessions() as s:
            found["in the pool"] = int(await s.scalar(select(func.count()).select_from(
                Customer).where(Customer.released_at.is_not(None))) or 0)
        return found
    finally:
        await engine.dispose()


async def run(work: Path) -> dict[str, dict[str, float]]:
    name = f"m13_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    pg = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    results = {}
    try:
        for kind, url in (("SQLite", f"sqlite+aiosqlite:///{work / f'{name}.db'}"),
                          ("PostgreSQL", f"{pg}/{name}")):
            results[kind] = await measure(url)
            print(f"M13 {kind}: {results[kind]}", flush=True)
    finally:
        await drop_database(name)
    return results


def markdown(results: dict[str, dict[str, float]]) -> str:
    lines = [f"# M13: the team pool's release pass ({CUSTOMERS:,} owned customers)", "",
             f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.pool`, "
             "encryption on, the shipped policy (A 30 … E 10 days, warnings 3 days before); "
             "customers last worked on 0–40 days ago. Target: the release pass ≤ 2 s.", "",
             "| database | measure | ms | released | target |", "|---|---|---|---|---|"]
    for kind, figures in results.items():
        for name in ("release pass, first", "release pass, next"):
            ms = figures[name]
            lines.append(f"| {kind} | {name} | {ms:.0f} | {figures[name + ': released']:.0f} | "
                         f"{'met' if ms <= 2000 else 'NOT met'} |")
        lines.append(f"| {kind} | planning pass, beside it | "
                     f"{figures['planning pass, beside it']:.0f} | | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(run(Path(tmp)))
    (HERE / "RESULTS-M13.md").write_text(markdown(found), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS-M13.md'}")
