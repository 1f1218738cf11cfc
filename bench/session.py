"""One measured session: the bench Bot API server here, one bot in a subprocess on the
other core, and simulated users driving it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench.bot_api import BenchBotApi
from bench.bots import FIRST_USER, BotProcess
from bench.load import Load

BOT_CORE, LOAD_CORE = 0, 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Figures:
    answers: int
    seconds: float
    cpu_seconds: float
    p50_ms: float
    p99_ms: float
    timeouts: int
    rss_mb: float

    @property
    def per_second(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_answer(self) -> float:
        return self.cpu_seconds / self.answers * 1e6 if self.answers else float("nan")


async def connected(bot: BotProcess, api: BenchBotApi, work: Path, every: float = 0.05) -> None:
    """Wait for a started bot's first getUpdates or setWebhook; fail if it stops or hangs."""
    deadline = time.monotonic() + 60
    hooks = max(1, len(bot.replicas))  # every replica has called setWebhook
    while not (api.counters["getUpdates"] or api.counters["setWebhook"] >= hooks):
        if bot.process is not None and bot.process.poll() is not None:
            raise RuntimeError(f"{bot.name} stopped: see {work / (bot.name + '.log')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{bot.name} never connected")
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def running(bot: BotProcess, work: Path, *, latency: float = 0.0,
                  limits: bool = False) -> AsyncIterator[tuple[BenchBotApi, Load]]:
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {LOAD_CORE})
    api = BenchBotApi(limits=limits, latency=latency, replicas=bot.replicas)
    await api.start()
    load = Load(api, bot.script)
    bot.start(api.base_url, BOT_CORE, work / f"{bot.name}.log")
    try:
        await connected(bot, api, work)
        await asyncio.sleep(0.5)
        yield api, load
    finally:
        await bot.stop()
        await api.stop()


def users(start: int = FIRST_USER) -> itertools.count[int]:
    return itertools.count(start)


def p50_p99(values: list[float]) -> tuple[float, float]:
    """The median and the 99th percentile (nan for fewer than two values)."""
    if len(values) < 2:
        return float("nan"), float("nan")
    q = statistics.quantiles(values, n=100)
    return q[49], q[98]


def p50_p99_ms(seconds: list[float]) -> tuple[float, float]:
    """The same of times in seconds, in milliseconds."""
    p50, p99 = p50_p99(seconds)
    return p50 * 1000, p99 * 1000


async def _profile(bot: BotProcess, seconds: float) -> asyncio.subprocess.Process | None:
    """With `--profile DIR`: py-spy samples our bot through the window (collapsed stacks)."""
    if not bot.tokens or bot.process is None:
        return None
    return await py_spy(bot.process.pid, seconds, f"{bot.name}-{bot.process.pid}")


async def py_spy(pid: int, seconds: float, name: str) -> asyncio.subprocess.Process | None:
    """With BENCH_PROFILE=DIR (`--profile DIR`): py-spy samples a process for `seconds`
    into DIR/name.txt (collapsed stacks); None without it."""
    where = os.environ.get("BENCH_PROFILE")
    if not where:
        return None
    out = Path(where) / f"{name}.txt"
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
        "--duration", str(int(seconds)), "--rate", "200", "--format", "raw", "--output",
        str(out), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def window(bot: BotProcess, load: Load, work: asyncio.Task[None], warmup: float,
                 seconds: float) -> Figures:
    """Measure while `work` runs: after `warmup`, for `seconds` (CPU of the bot process)."""
    await asyncio.sleep(warmup)
    cpu, started = bot.cpu_seconds(), time.perf_counter()
    profiler = await _profile(bot, seconds)
    await asyncio.sleep(seconds)
    if profiler is not None:
        await profiler.wait()
    cpu, ended = bot.cpu_seconds() - cpu, time.perf_counter()
    rss = bot.rss_bytes()
    work.cancel()  # users still under way are not counted; no need to wait for them
    with contextlib.suppress(asyncio.CancelledError):
        await work
    done = [i for i, at in enumerate(load.answered) if started <= at <= ended]
    p50, p99 = p50_p99([load.latencies[i] for i in done])
    return Figures(len(done), ended - started, cpu, p50 * 1000, p99 * 1000, load.timeouts,
                   rss / 2**20)
