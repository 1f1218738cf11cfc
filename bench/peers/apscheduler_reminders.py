"""Reminders the usual way: one APScheduler 3 job per reminder that sends with aiogram,
in the same event loop as the hand-written FSM questionnaire (bench/peers/fsm_aiogram.py).

BENCH_JOBSTORE=memory|sqlalchemy. Memory jobs are added at start (BENCH_REMINDERS of them,
due at BENCH_DUE_AT, to chats from BENCH_FIRST_CHAT); SQLAlchemyJobStore (BENCH_JOBSTORE_URL)
holds jobs seeded beforehand with `seed()`, as if made over the past days. Misfire grace and
error handling are APScheduler's and aiogram's defaults: a send refused with 429 raises, and
the job is over. At exit, BENCH_STATS gets the event loop's stalls and the scheduler's
counts of missed and failed jobs.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

BOT: Bot | None = None
REMIND = "bench.peers.apscheduler_reminders:remind"


async def remind(chat_id: int, text: str) -> None:
    assert BOT is not None
    await BOT.send_message(chat_id, text)


def seed(url: str, count: int, due_at: datetime, first_chat: int) -> None:
    """`count` jobs in an SQLAlchemyJobStore, written in bulk (add_job would take one
    transaction per job): each the pickled state APScheduler itself would store."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)  # a started scheduler gives the job its defaults
    template = scheduler.add_job(REMIND, "date", run_date=due_at, args=[first_chat, ""],
                                 id="template")
    state = template.__getstate__()
    scheduler.shutdown()
    store = SQLAlchemyJobStore(url=url)
    store.jobs_t.create(store.engine, checkfirst=True)
    stamp = due_at.timestamp()
    with store.engine.begin() as connection:
        for start in range(0, count, 10_000):
            rows = []
            for n in range(start, min(count, start + 10_000)):
                job = {**state, "id": f"r{n}", "args": (first_chat + n, f"Follow up #{n}")}
                rows.append({"id": job["id"], "next_run_time": stamp,
                             "job_state": pickle.dumps(job, pickle.HIGHEST_PROTOCOL)})
            connection.execute(store.jobs_t.insert(), rows)
    store.engine.dispose()


async def watch_loop(stalls: list[float]) -> None:
    """How late the event loop wakes a 10 ms timer: every lateness over 50 ms is a stall."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        late = time.perf_counter() - before - 0.01
        if late > 0.05:
            stalls.append(late)


async def main() -> None:
    global BOT
    from bench.peers import fsm_aiogram

    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BENCH_API"]))
    BOT = Bot(os.environ["BENCH_TOKEN"], session=session)
    import bench.peers.apscheduler_reminders as me  # the module jobs refer to by name
    me.BOT = BOT
    counts: Counter[str] = Counter()
    stalls: list[float] = []
    watcher = asyncio.create_task(watch_loop(stalls))

    def count(event: JobEvent) -> None:
        counts[{EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "failed"}.get(
            event.code, "executed")] += 1

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_listener(count, EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_EXECUTED)
    started = time.perf_counter()
    if os.environ.get("BENCH_JOBSTORE", "memory") == "sqlalchemy":
        scheduler.add_jobstore("sqlalchemy", url=os.environ["BENCH_JOBSTORE_URL"])
    else:
        due = datetime.fromtimestamp(float(os.environ["BENCH_DUE_AT"]), UTC)
        first = int(os.environ["BENCH_FIRST_CHAT"])
        for n in range(int(os.environ.get("BENCH_REMINDERS", "0"))):
            scheduler.add_job(REMIND, "date", run_date=due, args=[first + n, f"Follow up #{n}"],
                              id=f"r{n}")
    scheduler.start()
    ready = time.perf_counter() - started
    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(fsm_aiogram.router)
    try:
        await dp.start_polling(BOT, handle_signals=True)
    finally:
        watcher.cancel()
        scheduler.shutdown(wait=False)
        stats: dict[str, Any] = {"scheduler_start_s": ready, **counts, "stalls": len(stalls),
                                 "worst_stall_ms": max(stalls, default=0) * 1000}
        if out := os.environ.get("BENCH_STATS"):
            Path(out).write_text(json.dumps(stats), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
