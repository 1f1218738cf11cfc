"""The bots under measurement: how to start each one, and the script its users play."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.bot_api import TOKEN
from bench.load import Step

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
FIRST_USER = 100_000

# Our pre_meeting questionnaire from a deep link: consent, industry by button, then typed
# answers with two invalid ones (a word where a number is expected, twice). The shipped
# flow asks 12 questions, then offers the rest of the bank (issue 15's seed bank) as a
# second part: the users say yes to it, so they go through the whole bank — optional
# questions skipped with /skip, key facts confirmed with "yes" — as a keen customer would.
FIRST_PART = ["300", "Li Wei", "1", "yes", "1,4", "Manual entry", "3",
              "Faster orders", "1", "yes", "CFO approves", "yes", "Pricing", "yes"]
SECOND_PART = ["Widgets", "CTO", "/skip", "/skip", "/skip", "/skip", "CFO", "/skip", "2",
               "/skip", "no", "many", "12", "/skip", "/skip", "/skip", "/skip", "/skip", "2",
               "1", "/skip", "Speed", "/skip", "/skip", "Year end", "yes", "3", "yes",
               "/skip", "/skip", "/skip", "/skip"]
OURS_SCRIPT: list[Step] = [("tap", ".y"), ("tap", "Manufacturing"), ("text", "lots"),
                           *(("text", answer) for answer in FIRST_PART + SECOND_PART)]
# M1-rare: the updates that cost the most queries, as often as a load can have them: every
# user a new customer from a deep link (/start), the consent press, the first contact field
# (the third question), then the short part's twelve and "no" to the rest, which completes
# the questionnaire and plans its follow-up; 17 updates a user against OURS_SCRIPT's 51.
RARE_SCRIPT: list[Step] = [*OURS_SCRIPT[:3 + len(FIRST_PART) - 1], ("text", "no")]
# The peers' 12 questions (bench/peers/fsm_aiogram.py): two taps, two invalid answers.
PEER_SCRIPT: list[Step] = [
    ("text", "/start bench"), ("tap", 0), ("text", "many"), ("text", "120"),
    ("text", "Widgets"), ("text", "Li Wei"), ("text", "CTO"), ("text", "Manual entry"),
    ("text", "x"), ("text", "12"), ("text", "CFO"), ("text", "50000"), ("text", "Pricing"),
    ("text", "None yet"), ("tap", 1)]
# M3: where a burst starts (steps played first), and the ten valid answers sent at once
BURST_PEER = (PEER_SCRIPT[:2], ["120", "Widgets", "Li Wei", "CTO", "Manual entry", "12",
                                "CFO", "50000", "Pricing", "None yet"])
# (from the start of the second part: ten answers, none of them a read-back, which shows
# the same question again to confirm it and would count as "re-shown")
BURST_OURS = (OURS_SCRIPT[:3 + len(FIRST_PART)], SECOND_PART[:10])

@dataclass
class BotProcess:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)  # ours: one invite per user
    database: str | None = None  # ours on PostgreSQL: dropped afterwards
    buttons: bool = True  # the echo bots show none: their users type every step
    # webhook replicas: one process per port, all on one database (bench.bot_api balances)
    replicas: list[int] = field(default_factory=list)
    steps: list[Step] | None = None  # ours: another script than OURS_SCRIPT
    process: subprocess.Popen[bytes] | None = None
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)  # replicas 2…n

    def script(self, user: int) -> list[Step]:
        if not self.tokens:
            return PEER_SCRIPT if self.buttons else [("text", str(v)) for _, v in PEER_SCRIPT]
        return [("text", f"/start {self.tokens[user - FIRST_USER]}"),
                *(OURS_SCRIPT if self.steps is None else self.steps)]

    def burst(self, user: int) -> tuple[list[Step], list[str]]:
        """Steps to play first, then the ten answers a burst sends at once."""
        if not self.tokens:
            return BURST_PEER
        prefix, answers = BURST_OURS
        return self.script(user)[:len(prefix) + 1], answers

    def start(self, api_base: str, core: int, log: Path) -> None:
        env = {**os.environ, **self.env, "BENCH_API": api_base, "BENCH_TOKEN": TOKEN,
               "TELEGRAM_API_SERVER": api_base, "PYTHONPATH": str(ROOT)}
        started = []
        for port in self.replicas or [None]:
            own = env if port is None else env | {"TELEGRAM_WEBHOOK_PORT": str(port)}
            with log.open("ab") as out:
                started.append(subprocess.Popen(
                    self.command, env=own, cwd=log.parent, stdout=out,
                    stderr=subprocess.STDOUT, preexec_fn=lambda: os.sched_setaffinity(0, {core})))
        self.process, self.others = started[0], started[1:]

    def all(self) -> list[subprocess.Popen[bytes]]:
        assert self.process is not None
        return [self.process, *self.others]

    def cpu_seconds(self) -> float:
        """CPU of all its processes."""
        return cpu_seconds([process.pid for process in self.all()])

    def rss_bytes(self) -> int:
        total = 0
        for process in self.all():
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    async def stop(self) -> None:
        await stop_processes([p for p in (self.process, *self.others) if p is not None])
        await drop_database(self.database)


async def stop_processes(processes: list[subprocess.Popen[bytes]], grace: float = 20) -> None:
    """SIGTERM to each, then each waited for; one not gone after `grace` seconds (a server
    still draining its clients' requests) is killed, so a measure never hangs on it."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            await asyncio.to_thread(process.wait, grace)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)


def peer(name: str, module: str, **env: str) -> BotProcess:
    return BotProcess(name, [sys.executable, "-m", f"bench.peers.{module}"], env,
                      buttons=module not in ("null_bot", "echo_aiogram"))


async def ours(name: str, work: Path, *, postgres: bool, webhook: bool, users: int,
               port: int = 0, framework: str = "aiogram", hook: str | None = None,
               replicas: list[int] | None = None, steps: list[Step] | None = None
               ) -> BotProcess:
    """Our bot, with a fresh database holding one customer and invite per simulated user.
    Personal data is encrypted, as in production (keys made for this run). `hook`: a
    webhook endpoint registered for every event (each finished questionnaire is one)."""
    # a new database each time: the bench server numbers updates from 1 again
    url, database = await fresh_database(work, name, postgres)
    # the bench server enforces Telegram's limits only where a measure says so (M6 sets
    # its own rate): elsewhere our bot's own 30 messages/s budget would be what is measured
    env = {"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_POLL_SECONDS": "25",
           "INTERVIEW_LANGUAGE": "en", "REMINDERS_PER_SECOND": "0"}
    if webhook:
        env |= {"TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
                "TELEGRAM_WEBHOOK_SECRET": "bench-secret", "TELEGRAM_WEBHOOK_PORT": str(port)}
    tokens = await seed_invites(url, users, hook)
    command = [sys.executable, "-m", "interview_bot", "run", "--framework", framework,
               *(["--webhook"] if webhook else [])]
    return BotProcess(name, command, env, tokens, database, replicas=replicas or [],
                      steps=steps)


async def fresh_database(work: Path, name: str, postgres: bool) -> tuple[str, str | None]:
    """A new, empty database for one measure: its URL, and its name on PostgreSQL (to drop
    afterwards, `drop_database`). Personal data is encrypted, as in production (keys made
    for this run)."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("SECURITY_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("SECURITY_BLIND_INDEX_KEY", uuid.uuid4().hex * 2)
    if not postgres:
        return f"sqlite+aiosqlite:///{work / f'{name}-{uuid.uuid4().hex[:6]}.db'}", None
    database = f"bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{database}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{url}/{database}", database


async def drop_database(database: str | None) -> None:
    if database:
        await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) of these processes so far; one gone counts nothing."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def seed_invites(url: str, users: int, hook: str | None = None) -> list[str]:
    from interview_bot.app import open_app
    from interview_bot.settings import DatabaseSettings, Settings
    from services import webhooks
    from storage import customers, invites

    now = datetime.now(UTC)
    tokens = []
    async with open_app(Settings(database=DatabaseSettings(url=url))) as app:
        for first in range(0, users, 1000):
            async with app.sessions.begin() as session:
                for n in range(first, min(users, first + 1000)):
                    customer = await customers.create(session, f"Bench Co {n}", now)
                    _, token = await invites.create(
                        session, customer_id=customer.id, flow_id="pre_meeting",
                        created_by=None, now=now, valid_for=timedelta(days=2))
                    tokens.append(token)
        if hook is not None:
            async with app.sessions.begin() as session:
                await webhooks.add(session, url=hook, events="*", personal=True,
                                   actor="bench", channel="cli", now=now)
    return tokens


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
