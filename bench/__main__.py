"""`make bench`: run the measurements side by side and write bench/RESULTS.md.

    python -m bench [--rounds N] [--seconds S] [--only M1,M2,M3,M4,M5,M6,M8,M9,M14,M15]
                    [--bots "a|b"] [--profile DIR]
    python -m bench --render bench/RESULTS.json   # RESULTS.md again from a run's figures
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, report
from bench.throughput import Settings, burst, contenders, open_loop, saturate

HERE = Path(__file__).parent


async def m1(work: Path, s: Settings, rounds: int,
             pick: str = "") -> dict[str, list[dict[str, float]]]:
    """Every contender once per round, rounds interleaved (a drifting machine hits all)."""
    wanted = [p for p in pick.split("|") if p]
    bots = {k: v for k, v in contenders(work).items()
            if not wanted or any(p in k for p in wanted)}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in bots}
    plan = [(name, 0.0) for name in bots]
    plan += [(name + " @40ms", 0.040) for name in bots
             if "PTB" in name or name == "ours, polling, SQLite" or "MemoryStorage" in name]
    results |= {name: [] for name, _ in plan}
    for r in range(rounds):
        for name, latency in plan:
            base = name.removesuffix(" @40ms")
            f = await saturate(bots[base], work, s, latency)
            results[name].append({"answers_s": f.per_second, "cpu_us": f.cpu_us_per_answer,
                                  "p50": f.p50_ms, "p99": f.p99_ms, "timeouts": f.timeouts,
                                  "rss_mb": f.rss_mb})
            print(f"M1 round {r + 1} {name}: {f.per_second:.0f} answers/s, "
                  f"{f.cpu_us_per_answer:.0f} µs CPU/answer, p99 {f.p99_ms:.1f} ms", flush=True)
    return results


async def m2(work: Path, s: Settings, ceiling: float) -> dict[str, dict[int, dict[str, float]]]:
    bots = contenders(work)
    names = ["aiogram echo (framework floor)", "aiogram FSM, MemoryStorage",
             "ours, polling, SQLite", "ours, polling, PostgreSQL"]
    results: dict[str, dict[int, dict[str, float]]] = {n: {} for n in names}
    for share in (10, 50, 60, 80):
        for name in names:
            f = await open_loop(bots[name], work, ceiling * share / 100, s)
            results[name][share] = {"answers_s": f.per_second, "p50": f.p50_ms,
                                    "p99": f.p99_ms, "timeouts": f.timeouts}
            print(f"M2 {share}% {name}: {f.per_second:.0f}/s p50 {f.p50_ms:.1f} "
                  f"p99 {f.p99_ms:.1f} ms", flush=True)
    return results


async def m3(work: Path) -> dict[str, dict[str, tuple[int, int, int]]]:
    bots = contenders(work)
    names = ["aiogram FSM, MemoryStorage", "aiogram FSM, RedisStorage",
             "PTB ConversationHandler + PicklePersistence", "ours, polling, SQLite",
             "ours, webhook, PostgreSQL"]
    results: dict[str, dict[str, tuple[int, int, int]]] = {}
    for name in names:
        results[name] = {"ten answers": await burst(bots[name], work, double_tap=False),
                         "double tap": await burst(bots[name], work, double_tap=True)}
        print(f"M3 {name}: {results[name]}", flush=True)
    # the webhook burst once more, four times: Telegram's one-update-per-chat-at-a-time
    # delivery is what keeps it in order, so it must hold run after run
    name = "ours, webhook, PostgreSQL"
    for run in range(2, 6):
        again = await burst(bots[name], work, double_tap=False)
        results[f"{name}, run {run}"] = {"ten answers": again}
        print(f"M3 {name} run {run}: {again}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", default="M1,M2,M3,M4,M5,M6,M8,M9,M14,M15")
    parser.add_argument("--bots", default="",
                        help="M1 only these (name substrings, separated by |)")
    parser.add_argument("--concurrency", type=int, default=Settings.concurrency)
    parser.add_argument("--out", type=Path,
                        help="default bench/RESULTS.md for a whole run, else a temp file")
    parser.add_argument("--profile", type=Path,
                        help="py-spy samples our bot in each window: collapsed stacks in DIR")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="measure nothing: write the .md beside a run's .json again")
    args = parser.parse_args()
    if args.render:
        render(args.render)
        return
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        os.environ["BENCH_PROFILE"] = str(args.profile.resolve())
    only = set(args.only.split(","))
    if args.out is None:  # a partial run never overwrites the committed results
        whole = args.only == parser.get_default("only") and not args.bots
        args.out = HERE / "RESULTS.md" if whole else Path(tempfile.gettempdir()) / "bench.md"
    s = Settings(seconds=args.seconds, concurrency=args.concurrency)
    sections: dict[str, object] = {"machine": machine.describe()}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        try:
            _measure(work, s, args, only, sections)
        finally:  # what was measured is written even when a later measure fails
            sections["measured"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
            args.out.with_suffix(".json").write_text(
                json.dumps(sections, indent=1, default=str), encoding="utf-8")
            args.out.write_text(report.markdown(sections), encoding="utf-8")
            print(f"wrote {args.out}")


def render(figures: Path) -> None:
    """The page of a run from its figures (a run before "measured" was kept: the file's
    time, which is when that run wrote it)."""
    sections = json.loads(figures.read_text(encoding="utf-8"))
    for measure in ("M2", "M4"):  # their loads and sizes, which JSON made strings
        for name, by_number in sections.get(measure, {}).items():
            sections[measure][name] = {int(k): v for k, v in by_number.items()}
    written = datetime.fromtimestamp(figures.stat().st_mtime, UTC)
    sections.setdefault("measured", f"{written:%Y-%m-%d %H:%M}")
    figures.with_suffix(".md").write_text(report.markdown(sections), encoding="utf-8")
    print(f"wrote {figures.with_suffix('.md')}")


def _measure(work: Path, s: Settings, args: argparse.Namespace, only: set[str],
             sections: dict[str, object]) -> None:
    if "M1" in only:
        sections["M1"] = asyncio.run(m1(work, s, args.rounds, args.bots))
    if "M2" in only:
        ours = sections.get("M1", {}).get("ours, polling, SQLite")  # type: ignore[union-attr]
        ceiling = statistics.median(r["answers_s"] for r in ours) if ours else 300.0
        sections["M2"] = asyncio.run(m2(work, s, ceiling))
        sections["M2 ceiling"] = ceiling
    if "M3" in only:
        sections["M3"] = asyncio.run(m3(work))
    for name, (module, function) in LATER.items():
        if name in only:  # imported only when run: each pulls in its own peers
            run = getattr(importlib.import_module(f"bench.{module}"), function)
            result = run(work)
            sections[name] = asyncio.run(result) if inspect.iscoroutine(result) else result


# the measures after M1-M3, in order: the module and its function (given the work dir)
LATER = {"M4": ("memory", "run"), "M5": ("overdue", "run"), "M6": ("reminders", "run_m6"),
         "M8": ("reminders", "run_m8"), "M9": ("imports", "run"),
         "M14": ("web_questionnaire", "run"), "M15": ("feishu", "run")}


if __name__ == "__main__":
    main()
