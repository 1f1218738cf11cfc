"""M6: dispatching 10,000 due reminders at Telegram's 30/s ceiling and with it lifted,
while people answer a questionnaire; M8: starting up with 1,000,000 pending reminders.

Peers: one APScheduler 3 job per reminder (MemoryJobStore, and SQLAlchemyJobStore on
SQLite) sending through aiogram beside the hand-written FSM (bench/peers/
apscheduler_reminders.py). Reminders go to their own range of chats; every message the
bench server accepts for one of them counts as delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert

from bench.bot_api import REMINDER_CHATS, BenchBotApi
from bench.bots import BotProcess, ours, peer
from bench.load import Load
from bench.session import BOT_CORE, LOAD_CORE, connected, free_port, users
from scheduler.policy import load_policy
from storage.database import create_engine
from storage.models import Reminder

REMINDERS = int(os.environ.get("BENCH_M6_REMINDERS", 10_000))
PENDING = int(os.environ.get("BENCH_M8_PENDING", 1_000_000))
FIRST_CHAT = REMINDER_CHATS  # reminder recipients; the simulated users are 100,000 on
LEAD = 12.0  # seconds from starting a bot to the reminders falling due
INTERACTIVE = 4.0  # answers/s from people during the dispatch, 2 s think time each
THINK = 2.0


def no_quiet_hours(work: Path) -> Path:
    """The shipped policy with quiet hours off: the bench may run at any hour."""
    path = work / "reminders-policy.yaml"
    policy = load_policy().model_dump(mode="json")
    path.write_text(yaml.safe_dump({**policy, "quiet_hours": {"start": "00:00", "end": "00:00"}}),
                    encoding="utf-8")
    return path


async def seed_ours(url: str, count: int, due_at: datetime) -> None:
    """`count` pending follow-ups, each to its own chat (written in bulk)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        for start in range(0, count, 20_000):
            async with engine.begin() as connection:
                await connection.execute(insert(Reminder), [
                    {"kind": "follow_up", "recipient_chat": FIRST_CHAT + n, "due_at": due_at,
                     "status": "pending", "attempts": 0, "dedupe_key": f"bench:{n}",
                     "payload": {"note": f"Follow up #{n}"}, "created_at": now,
                     "updated_at": now} for n in range(start, min(count, start + 20_000))])
    finally:
        await engine.dispose()


def seed_peer(work: Path, count: int, due_at: datetime) -> str:
    url = f"sqlite:///{work / f'jobs-{uuid.uuid4().hex[:6]}.db'}"
    from bench.peers.apscheduler_reminders import seed
    seed(url, count, due_at, FIRST_CHAT)
    return url


async def contender(name: str, work: Path, *, ceiling: bool, count: int, due_at: datetime,
                    people: int) -> BotProcess:
    if name.startswith("ours"):
        postgres = "PostgreSQL" in name
        bot = await ours(name.replace(" ", "-").replace(",", ""), work, postgres=postgres,
                         webhook=False, users=people, port=free_port())
        url = bot.env["DATABASE_URL"]
        await seed_ours(url, count, due_at)
        bot.env |= {"REMINDERS_POLICY_FILE": str(no_quiet_hours(work)),
                    "REMINDERS_PER_SECOND": "30" if ceiling else "0"}
        return bot
    stats = work / f"stats-{uuid.uuid4().hex[:6]}.json"
    common = {"BENCH_STATS": str(stats), "BENCH_FIRST_CHAT": str(FIRST_CHAT)}
    if "SQLAlchemyJobStore" in name:
        url = await asyncio.to_thread(seed_peer, work, count, due_at)
        return peer("apscheduler-sqla", "apscheduler_reminders", BENCH_JOBSTORE="sqlalchemy",
                    BENCH_JOBSTORE_URL=url, **common)
    return peer("apscheduler-memory", "apscheduler_reminders", BENCH_JOBSTORE="memory",
                BENCH_REMINDERS=str(count), BENCH_DUE_AT=str(due_at.timestamp()), **common)


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


def peer_stats(bot: BotProcess) -> dict[str, Any]:
    path = bot.env.get("BENCH_STATS")
    if path and Path(path).exists():
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    return {}


async def dispatch(name: str, work: Path, ceiling: bool) -> dict[str, Any]:
    """M6 for one contender: reminders falling due at once, people answering alongside."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {LOAD_CORE})
    due_at = datetime.now(UTC) + timedelta(seconds=LEAD + 30)  # seeding takes a while
    window = REMINDERS / (25 if ceiling else 500) + 60
    bot = await contender(name, work, ceiling=ceiling, count=REMINDERS, due_at=due_at,
                          people=int(window * INTERACTIVE / 10) + 100)
    api = BenchBotApi(limits=ceiling)
    await api.start()
    load = Load(api, bot.script)
    arrivals: dict[int, list[float]] = defaultdict(list)
    on_reply = api.on_send

    def on_send(chat: int, message_id: int, params: dict[str, Any], now: float) -> None:
        if chat >= FIRST_CHAT:
            arrivals[chat].append(time.time())
        elif on_reply is not None:
            on_reply(chat, message_id, params, now)

    api.on_send = on_send
    bot.start(api.base_url, BOT_CORE, work / f"{bot.name}.log")
    try:
        await connected(bot, api, work)
        await asyncio.sleep(max(0.0, due_at.timestamp() - time.time()))
        started, sent_before = time.perf_counter(), api.counters["sent"]
        people = asyncio.create_task(load.open_loop(
            users(), INTERACTIVE, len(bot.script(100_000)), window, THINK))
        deadline, quiet_since = time.time() + window, time.time()
        seen = 0
        while time.time() < deadline and len(arrivals) < REMINDERS:
            await asyncio.sleep(1.0)
            if len(arrivals) != seen:
                seen, quiet_since = len(arrivals), time.time()
            elif time.time() - quiet_since > 30:
                break  # nothing more is coming
        ended, sent_all = time.perf_counter(), api.counters["sent"] - sent_before
        last_send = max((t[-1] for t in arrivals.values()), default=time.time())
        busy = max(1e-9, min(ended - started, last_send - due_at.timestamp()))
        people.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await people
    finally:
        await bot.stop()
        await api.stop()
    firsts = sorted(times[0] for times in arrivals.values())
    lateness = [t - due_at.timestamp() for t in firsts]
    replies = [lat for lat, at in zip(load.latencies, load.answered, strict=True)
               if started <= at <= ended]
    span = (firsts[-1] - firsts[0]) if len(firsts) > 1 else 0.0
    return {"delivered": len(arrivals), "lost": REMINDERS - len(arrivals),
            "duplicates": sum(len(t) - 1 for t in arrivals.values()),
            "per_second": len(firsts) / span if span else 0.0,
            "all_per_second": sent_all / busy,  # reminders and replies, while dispatching
            "429": api.counters["429 reminders"], "429 replies": api.counters["429 replies"],
            "late_p50_s": quantile(lateness, 50), "late_p99_s": quantile(lateness, 99),
            "reply_p50_ms": quantile(replies, 50) * 1000,
            "reply_p99_ms": quantile(replies, 99) * 1000, "replies": len(replies),
            **{f"peer_{k}": v for k, v in peer_stats(bot).items()}}


async def cold_start(name: str, work: Path, pending: int) -> dict[str, Any]:
    """M8 for one contender: time from process start to its first getUpdates, and its RSS."""
    due_at = datetime.now(UTC) + timedelta(days=30)
    bot = await contender(name, work, ceiling=False, count=pending, due_at=due_at, people=1)
    api = BenchBotApi()
    await api.start()
    begun = time.perf_counter()
    bot.start(api.base_url, BOT_CORE, work / f"{bot.name}.log")
    try:
        await connected(bot, api, work, every=0.01)
        ready = time.perf_counter() - begun
        await asyncio.sleep(5)  # the first reminder pass has run by now
        rss = bot.rss_bytes() / 2**20
    finally:
        await bot.stop()
        await api.stop()
    return {"ready_s": ready, "rss_mb": rss, **{f"peer_{k}": v
                                               for k, v in peer_stats(bot).items()}}


M6_CONTENDERS = ["ours, SQLite", "ours, PostgreSQL", "APScheduler MemoryJobStore",
                 "APScheduler SQLAlchemyJobStore (SQLite)"]
M8_CONTENDERS = ["ours, SQLite", "ours, PostgreSQL", "APScheduler SQLAlchemyJobStore (SQLite)"]


async def run_m6(work: Path) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for ceiling in (True, False):
        for name in M6_CONTENDERS:
            key = f"{name}, {'30/s ceiling' if ceiling else 'ceiling lifted'}"
            results[key] = await dispatch(name, work, ceiling)
            print(f"M6 {key}: {results[key]}", flush=True)
    return results


def import_floor() -> float:
    """Seconds for a bare `python -c "import aiogram"` on the bots' core: the part of any
    aiogram bot's start that no bot's own design changes."""
    begun = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import aiogram"], check=True,
                   preexec_fn=lambda: os.sched_setaffinity(0, {BOT_CORE}))
    return time.perf_counter() - begun


async def run_m8(work: Path) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {
        "python -c 'import aiogram' (floor)": {"ready_s": import_floor(), "rss_mb": 0.0}}
    for pending in (0, PENDING):
        for name in M8_CONTENDERS:
            key = f"{name}, {pending:,} pending"
            results[key] = await cold_start(name, work, pending)
            print(f"M8 {key}: {results[key]}", flush=True)
    return results


if __name__ == "__main__":  # python -m bench.reminders M6|M8 (a quick look at one)
    import tempfile
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        which = sys.argv[1] if len(sys.argv) > 1 else "M6"
        print(asyncio.run((run_m6 if which == "M6" else run_m8)(Path(tmp))))
