"""The bench's simulated customers (bench/bots.py) must answer the shipped questionnaire as
it is: when the flow changes and the script does not, the bench measures refusals instead
of answers (it did, once). Played here through the engine, the script's typed answers are
all taken but the two invalid ones it sends on purpose, and it ends the questionnaire."""

from __future__ import annotations

from datetime import date

from bench.bots import BURST_OURS, OURS_SCRIPT
from flows import engine
from flows.loader import default_flow_dir, load_paths


def test_the_bench_script_fits_the_shipped_questionnaire() -> None:
    flow = load_paths([default_flow_dir()])["pre_meeting"]
    state, refused = engine.start(flow), []
    steps = OURS_SCRIPT[1:]  # the consent button comes before the flow
    assert OURS_SCRIPT[0] == ("tap", ".y")
    for kind, raw in steps:
        question = engine.current_question(flow, state)
        assert question is not None, f"the questionnaire ended before {raw!r}"
        if kind == "tap":  # a button's label: the choice with that label
            raw = next(c.id for c in question.choices if c.label["en"] == raw)
        step = engine.skip(flow, state, "en") if raw == "/skip" else engine.submit(
            flow, state, raw, "en", date(2026, 12, 7))
        if step.state == state:
            refused.append(raw)
        state = step.state
    assert refused == ["lots", "many"]  # the two invalid answers, on purpose
    assert engine.current_question(flow, state) is None  # finished
    prefix, burst = BURST_OURS
    assert len(burst) == 10 and OURS_SCRIPT[:len(prefix)] == prefix
