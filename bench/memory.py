"""M4: memory per open interview at 10,000 and 100,000 open.

The hand-written FSM holds each open questionnaire in the process (MemoryStorage state
and data) and, as such bots usually do for a follow-up, one APScheduler job; measured
with tracemalloc in a child process. Our bot holds open interviews in the database:
we measure the bot process's resident memory when it is ready with N open interviews
in the database (each a copy of a real one five answers in), and the bytes each takes
in the SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.bot_api import BenchBotApi
from bench.bots import ROOT, ours

SIZES = tuple(int(n) for n in os.environ.get("BENCH_M4_SIZES", "10000,100000").split(","))

FSM_CHILD = r"""
import asyncio, json, sys, tracemalloc, datetime
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from apscheduler.schedulers.asyncio import AsyncIOScheduler

async def remind(chat_id): pass

async def main(n):
    storage = MemoryStorage()
    scheduler = AsyncIOScheduler()
    scheduler.start()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)
    for i in range(n):
        key = StorageKey(bot_id=1, chat_id=100000 + i, user_id=100000 + i)
        await storage.set_state(key, "Survey:q5")
        await storage.set_data(key, {"industry": "Manufacturing", "employees": "120",
                                     "business": "Widgets", "name": "Li Wei", "title": "CTO"})
        scheduler.add_job(remind, "date", run_date=when, args=[100000 + i], id=f"r{i}")
    used = tracemalloc.get_traced_memory()[0] - base
    print(json.dumps({"bytes_per_interview": used / n}))

asyncio.run(main(int(sys.argv[1])))
"""


def fsm(n: int) -> float:
    out = subprocess.run([sys.executable, "-c", FSM_CHILD, str(n)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["bytes_per_interview"])


async def open_interviews(url: str, n: int) -> None:
    """One real interview five answers in, then n - 1 copies for other respondents."""
    from interview_bot.app import open_app
    from interview_bot.settings import DatabaseSettings, Settings
    from services.interview_service import Respondent
    from storage import customers
    from storage.models import Interview

    async with open_app(Settings(database=DatabaseSettings(url=url))) as app:
        async with app.sessions.begin() as s:
            customer = await customers.create(s, "Memory Co", datetime.now(UTC))
            turn = await app.interviews.begin(
                s, customer_id=customer.id, flow_id="pre_meeting",
                respondent=Respondent("tg:1", "telegram"), language="en")
        for text in ["1", "250", "Widgets", "Li Wei", "CTO"]:
            async with app.sessions.begin() as s:
                await app.interviews.answer(s, turn.interview_id, text, "en")
        async with app.sessions() as s:
            model = await s.scalar(select(Interview).where(Interview.id == turn.interview_id))
            assert model is not None
            row = {c.name: getattr(model, c.key) for c in Interview.__table__.columns
                   if c.name != "id"}
        now = datetime.now(UTC) - timedelta(minutes=5)
        for first in range(2, n + 1, 10_000):
            rows = [{**row, "respondent_key": f"tg:{i}", "started_at": now, "updated_at": now}
                    for i in range(first, min(n + 1, first + 10_000))]
            async with app.sessions.begin() as s:
                await s.execute(insert(Interview), rows)


async def ours_rss(work: Path, n: int) -> tuple[float, float]:
    """(bot RSS in MB when ready, bytes per open interview in the SQLite file)."""
    bot = await ours(f"m4-{n}", work, postgres=False, webhook=False, users=0)
    database = Path(bot.env["DATABASE_URL"].split("///", 1)[1])
    empty = database.stat().st_size
    if n:
        await open_interviews(bot.env["DATABASE_URL"], n)
    grown = database.stat().st_size - empty
    api = BenchBotApi()
    await api.start()
    bot.start(api.base_url, 0, work / f"{bot.name}.log")
    try:
        while not api.counters["getUpdates"]:
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)  # the planner's first pass looks at every open interview
        return bot.rss_bytes() / 2**20, grown / n if n else 0.0
    finally:
        await bot.stop()
        await api.stop()


def run(work: Path) -> dict[str, dict[int, float]]:
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    results: dict[str, dict[int, float]] = {"FSM + APScheduler job, bytes/interview": {},
                                            "ours, bot RSS MB": {},
                                            "ours, SQLite bytes/interview": {}}
    started = time.perf_counter()
    base_rss, _ = asyncio.run(ours_rss(work, 0))
    results["ours, bot RSS MB"][0] = base_rss
    for n in SIZES:
        results["FSM + APScheduler job, bytes/interview"][n] = fsm(n)
        rss, per = asyncio.run(ours_rss(work, n))
        results["ours, bot RSS MB"][n] = rss
        results["ours, SQLite bytes/interview"][n] = per
        print(f"M4 {n}: {results}", flush=True)
    print(f"M4 took {time.perf_counter() - started:.0f} s")
    return results
