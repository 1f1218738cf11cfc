"""Several dispatcher processes on one PostgreSQL; and SQLite's one-dispatcher rule."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from scheduler.dispatcher import BATCH
from scheduler.single_dispatcher import DispatcherLock, DispatcherLocked
from tests.bot.harness import quiet_week_policy
from tests.local_bot_api import TOKEN, LocalBotApi
from tests.scheduler.test_dispatch import FIRST_CHAT, seed

COUNT = 10_000


def tick_process(api: LocalBotApi, db_url: str, cwd: Path, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_SERVER": api.base_url,
           "DATABASE_URL": db_url, "REMINDERS_PER_SECOND": "0", "REMINDERS_LEASE_SECONDS": "3",
           "REMINDERS_POLICY_FILE": str(quiet_week_policy())}  # no quiet hours at any hour
    log = (cwd / f"{name}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "interview_bot", "reminders", "tick"],
                            env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc


def delivered(api: LocalBotApi) -> Counter[int]:
    """Reminders delivered to the reps (their manager may also get the weekly report,
    depending on the day the test runs)."""
    return Counter(chat for c in api.sent() if (chat := int(c.params["chat_id"])) >= FIRST_CHAT)


async def wait(procs: list[subprocess.Popen[bytes]]) -> list[int]:
    return [await asyncio.to_thread(p.wait, 300) for p in procs]


# several dispatchers need PostgreSQL (SKIP LOCKED); on SQLite only one may run (below)
on_postgres = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@on_postgres
async def test_two_dispatchers_send_each_reminder_exactly_once(db_url: str,
                                                               tmp_path: Path) -> None:
    await seed(db_url, COUNT)
    api = LocalBotApi()
    await api.start()
    try:
        codes = await wait([tick_process(api, db_url, tmp_path, n) for n in ("one", "two")])
    finally:
        await api.stop()
    assert codes == [0, 0], (tmp_path / "one.log").read_text()
    counts = delivered(api)
    assert set(counts) == {FIRST_CHAT + i for i in range(COUNT)}
    assert set(counts.values()) == {1}


@on_postgres
async def test_a_dispatcher_killed_mid_run_loses_nothing(db_url: str, tmp_path: Path) -> None:
    await seed(db_url, COUNT)
    api = LocalBotApi()
    await api.start()
    victim = tick_process(api, db_url, tmp_path, "victim")
    survivor = tick_process(api, db_url, tmp_path, "survivor")

    def kill_midway(_call: object) -> None:
        if len(api.calls) == COUNT // 4 and victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)

    api.hook = kill_midway
    try:
        await wait([victim, survivor])
        await asyncio.sleep(3.5)  # the victim's leases end
        (code,) = await wait([tick_process(api, db_url, tmp_path, "after")])
    finally:
        await api.stop()
    assert victim.returncode == -signal.SIGKILL and code == 0
    counts = delivered(api)
    assert set(counts) == {FIRST_CHAT + i for i in range(COUNT)}  # none lost
    duplicates = sum(n - 1 for n in counts.values())
    # only what the victim had sent but not yet recorded is sent again: it records a whole
    # batch before claiming the next, so that is within one batch
    assert duplicates <= BATCH
    print(f"duplicates after the kill: {duplicates} of {COUNT}")


def test_a_second_dispatcher_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    first = DispatcherLock(str(tmp_path / "bot.db"))
    first.acquire()
    try:
        with pytest.raises(DispatcherLocked, match="another reminder dispatcher"):
            DispatcherLock(str(tmp_path / "bot.db")).acquire()
    finally:
        first.release()
    again = DispatcherLock(str(tmp_path / "bot.db"))
    again.acquire()  # free again once released
    again.release()
