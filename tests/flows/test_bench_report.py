"""bench/RESULTS.md gathers the targets a run missed at its end, each with its figures, and
can be written again from a run's figures (`python -m bench --render RESULTS.json`): what a
reader of the results looks for first, and what the issue's "done when" asks of the page."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench import __main__ as bench_main
from bench import report

MACHINE = {"CPU": "test machine, 2 cores"}


def _run(answers_pg: float) -> dict[str, object]:
    one = {"cpu_us": 500.0, "p50": 1.0, "p99": 2.0, "rss_mb": 100.0, "timeouts": 0}
    return {"machine": MACHINE, "measured": "2026-12-07 21:00", "M1": {
        report.FLOOR: [{**one, "answers_s": 1000.0}],
        report.PG: [{**one, "answers_s": answers_pg}]},
        "M2": {report.FLOOR: {60: {"answers_s": 600.0, "p50": 1.0, "p99": 10.0,
                                   "timeouts": 0}},
               report.PG: {60: {"answers_s": 600.0, "p50": 2.0, "p99": 90.0,
                                "timeouts": 0}}},
        "M2 ceiling": 1000.0}


def test_the_missed_targets_are_gathered_at_the_end_with_their_figures() -> None:
    page = report.markdown(_run(answers_pg=400.0))
    missed = page.split("## Targets not met in this run")[1]
    assert "ours, polling, PostgreSQL / aiogram echo (framework floor): **0.40×**" in missed
    assert "**80.0 ms** (target ≤ 50 ms: NOT met)" in missed
    assert "bench/PROFILES.md" in missed
    assert page.startswith("# Benchmark results\n\nMeasured 2026-12-07 21:00 UTC")


def test_a_run_that_missed_nothing_says_so() -> None:
    run = _run(answers_pg=600.0)
    run["M2"][report.PG][60]["p99"] = 40.0  # type: ignore[index]
    page = report.markdown(run)
    assert "Targets not met" not in page
    assert page.rstrip().endswith("Every target above is met in this run.")
    # a run that failed before measuring anything claims nothing
    assert "Targets" not in report.markdown({"machine": MACHINE})


def test_a_run_is_written_again_from_its_figures(tmp_path: Path) -> None:
    figures = tmp_path / "RESULTS.json"
    run = _run(answers_pg=400.0)
    expected = report.markdown(run)
    figures.write_text(json.dumps(run), encoding="utf-8")  # M2's loads become strings
    bench_main.render(figures)
    assert (tmp_path / "RESULTS.md").read_text(encoding="utf-8") == expected

    del run["measured"]  # a run from before the time was kept: when its file was written
    figures.write_text(json.dumps(run), encoding="utf-8")
    os.utime(figures, (1796637600, 1796637600))  # 2026-12-07 10:00 UTC
    bench_main.render(figures)
    assert "Measured 2026-12-07 10:00 UTC" in (tmp_path / "RESULTS.md").read_text("utf-8")
