"""M14: the customers' web questionnaire under load: 200 phones answering back to back over
HTTP against `interview-bot web` (a real server process, one or two workers), on SQLite
and PostgreSQL. Each phone opens an invite link (its own cookie), agrees, and answers every
question the page shows (the first button, the first box, a number or a few words, or
skip when its answer is refused) until the questionnaire ends, then takes the next link.
Target (issue 29): >= 400 answers/s with p99 <= 1 s per answer, no errors.

    python -m bench.web_questionnaire      # writes bench/RESULTS-M14.md
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench import machine
from bench.bots import (
    ROOT,
    cpu_seconds,
    drop_database,
    fresh_database,
    seed_invites,
    stop_processes,
)
from bench.session import LOAD_CORE, free_port, p50_p99, py_spy

PHONES = int(os.environ.get("BENCH_M14_PHONES", 200))
WARMUP, SECONDS = 3.0, float(os.environ.get("BENCH_M14_SECONDS", 10))
HERE = Path(__file__).resolve().parent
AT = re.compile(r'name="at" value="([^"]*)"')
BUTTON = re.compile(r'<button name="value" value="([^"]*)"')
BOX = re.compile(r'type="checkbox" name="value" value="([^"]*)"')
FIELD = re.compile(r'<input type="(\w+)" inputmode="(\w+)" name="value"')


@dataclass
class Tally:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    errors: list[str] = field(default_factory=list)
    finished: int = 0


def form_for(page: str, refused: bool) -> dict[str, str] | list[tuple[str, str]] | None:
    """What a phone sends for the question on `page`: None when there is none (the end)."""
    at = AT.search(page)
    if at is None:
        return None
    if refused and 'value="skip"' in page:
        return {"at": at.group(1), "action": "skip"}
    if button := BUTTON.search(page):
        return {"at": at.group(1), "value": button.group(1)}
    if box := BOX.search(page):
        return [("at", at.group(1)), ("value", box.group(1)), ("action", "answer")]
    kind = FIELD.search(page)
    value = ("13800138000" if kind and kind.group(1) == "tel"
             else "300" if kind and kind.group(2) == "decimal" else "Faster orders")
    return {"at": at.group(1), "value": value, "action": "answer"}


async def phone(base: str, tokens: list[str], connector: aiohttp.BaseConnector, tally: Tally,
                stop: float) -> None:
    while tokens and time.perf_counter() < stop:
        link = f"{base}/q/{tokens.pop()}"
        jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address
        async with aiohttp.ClientSession(connector=connector, connector_owner=False,
                                         cookie_jar=jar) as http:
            async with http.get(link) as first:
                await first.read()
            async with http.post(link + "/consent", data={"choice": "agree"}) as agreed:
                page = await agreed.text()
            refused, last_at = False, None
            while time.perf_counter() < stop:
                form = form_for(page, refused)
                if form is None:
                    tally.finished += 1
                    break
                started = time.perf_counter()
                try:
                    async with http.post(link, data=form) as response:
                        page = await response.text()
                        status = response.status
                except aiohttp.ClientError as exc:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")
                    break
                ended = time.perf_counter()
                if status != 200:
                    tally.errors.append(f"HTTP {status}")
                    break
                tally.latencies.append((ended, ended - started))
                at = AT.search(page)
                refused = 'id="error"' in page and at is not None and at.group(1) == last_at
                last_at = at.group(1) if at else None


def _workers(server: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [server.pid, *map(int, children)]


def _server(port: int, workers: int, env: dict[str, str], work: Path
            ) -> subprocess.Popen[bytes]:
    with (work / "web.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "interview_bot", "web", "--port",
                                 str(port), "--workers", str(workers)], env=env, cwd=work,
                                stdout=log, stderr=subprocess.STDOUT)


async def measure(postgres: bool, workers: int, work: Path) -> dict[str, float]:
    url, database = await fresh_database(work, "web", postgres)
    tokens = await seed_invites(url, PHONES * 12)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "INTERVIEW_LANGUAGE": "en",
           "PYTHONPATH": str(ROOT)}
    server = _server(port, workers, env, work)
    base = f"http://127.0.0.1:{port}"
    try:
        connector = aiohttp.TCPConnector(limit=PHONES)
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with aiohttp.ClientSession() as probe, probe.get(base + "/healthz") as r:
                    if r.status == 200:
                        break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0 if workers > 1 else 0.0)  # every worker has started
        tally = Tally()
        stop = time.perf_counter() + WARMUP + SECONDS
        pids = _workers(server)
        phones = [asyncio.create_task(phone(base, tokens, connector, tally, stop))
                  for _ in range(PHONES)]
        await asyncio.sleep(WARMUP)
        cpu_start, window_start = cpu_seconds(pids), time.perf_counter()
        profiler = await py_spy(pids[-1], SECONDS, f"web-{database or 'sqlite'}-{workers}")
        await asyncio.gather(*phones)
        if profiler is not None:
            await profiler.wait()
        window_end = time.perf_counter()
        cpu = cpu_seconds(pids) - cpu_start
        await connector.close()
    finally:
        await stop_processes([server])
        await drop_database(database)
    inside = sorted(s for at, s in tally.latencies if window_start <= at <= window_end)
    p50, p99 = p50_p99(inside)
    seconds = window_end - window_start
    return {"answers_s": len(inside) / seconds, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000,
            "max_ms": max(inside, default=float("nan")) * 1000, "errors": len(tally.errors),
            "finished": tally.finished,
            "cpu_us": cpu / len(inside) * 1e6 if inside else float("nan")}


async def run(work: Path) -> dict[str, dict[str, float]]:
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {LOAD_CORE})
    results = {}
    for database in ("SQLite", "PostgreSQL"):
        for workers in (1, 2):
            name = f"{database}, {workers} worker{'s' if workers > 1 else ''}"
            results[name] = await measure(database == "PostgreSQL", workers, work)
            f = results[name]
            print(f"M14 {name}: {f['answers_s']:.0f} answers/s, p99 {f['p99_ms']:.0f} ms, "
                  f"errors {f['errors']:.0f}", flush=True)
    return results


def markdown(results: dict[str, dict[str, float]]) -> str:
    lines = ["# M14: the web questionnaire under load", "",
             f"`python -m bench.web_questionnaire`, {machine.describe()['CPU'].split(' (')[0]}. "
             f"{PHONES} "
             f"phones answering back to back (no think time) for {SECONDS:g} s after "
             f"{WARMUP:g} s of warm-up; the server (`interview-bot web --workers N`) is not "
             "pinned, the phones run on core 1. Latency: one answer's POST to its next page. "
             "Target: >= 400 answers/s, p99 <= 1 s, no errors.", "",
             "| database, server processes | answers/s | p50 ms | p99 ms | max ms | errors "
             "| questionnaires finished | server CPU µs/answer | target |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, f in results.items():
        met = f["answers_s"] >= 400 and f["p99_ms"] <= 1000 and not f["errors"]
        lines.append(f"| {name} | {f['answers_s']:.0f} | {f['p50_ms']:.0f} | "
                     f"{f['p99_ms']:.0f} | {f['max_ms']:.0f} | {f['errors']:.0f} | "
                     f"{f['finished']:.0f} | {f['cpu_us']:.0f} | "
                     f"{'met' if met else 'NOT met'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    import tempfile
    with tempfile.TemporaryDirectory(prefix="bench-m14-") as tmp:
        results = asyncio.run(run(Path(tmp)))
    (HERE / "RESULTS-M14.md").write_text(markdown(results), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS-M14.md'}")


if __name__ == "__main__":
    main()
