"""What a respondent types to get through a shipped flow, worked out by the engine itself
from answers given per question id (optional questions not given are skipped, key facts
confirmed with "yes"), so tests keep up when a flow gains a question."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache

from flows import engine
from flows.loader import default_flow_dir, load_paths
from flows.model import Flow

TODAY = date(2026, 12, 1)

# pre_meeting, the customer: a decision maker at a manufacturer, high intent
PRE_MEETING = {
    "industry": "1", "employees": "250", "business_lines": "Widgets", "contact_name": "Li Wei",
    "job_title": "CTO", "decision_role": "1", "decision_people": "CFO", "decision_time": "2",
    "vendors_considered": "no", "current_problems": "1,4", "problem_detail": "Manual entry",
    "hours_lost": "12", "approval_process": "CFO approves, CEO signs", "cost_impact": "3",
    "distance": "2", "need_type": "1", "key_feature": "Speed", "ideal_outcome": "Faster orders",
    "timeline": "1", "timeline_reason": "Year end", "budget_known": "yes", "budget": "3",
    "meeting_focus": "Pricing", "say_more": "yes",  # the whole bank: its second part too
}
# post_call, the rep: a first visit, the decision maker met, situation only
POST_CALL = {
    "call_type": "1", "met_name": "Zhang San", "met_role": "1", "stages_covered": "1",
    "timeline": "1", "next_step": "1", "priority": "1",
    "next_contact": "in 3 days",
}


@cache
def shipped() -> dict[str, Flow]:
    return load_paths([default_flow_dir()])


def script(flow: Flow, answers: Mapping[str, str], today: date = TODAY) -> list[str]:
    """The inputs, in order: each question's answer (or /skip), "yes" to each read-back."""
    return _run(flow, answers, today)[0]  # type: ignore[return-value]


def answered(flow: Flow, answers: Mapping[str, str], today: date = TODAY) -> list[str]:
    """The question ids that get an answer row (skipped ones included), in order."""
    return _run(flow, answers, today)[1]


def saving(flow: Flow, answers: Mapping[str, str], today: date = TODAY) -> list[bool]:
    """Per input of `script`: whether it stores an answer (False: a key fact typed, which
    waits for its "yes"; the "yes" stores it)."""
    return _run(flow, answers, today)[2]


def script_to(flow: Flow, answers: Mapping[str, str], question_id: str,
              today: date = TODAY) -> list[str]:
    """The inputs of `script` that lead up to question `question_id` (it is asked next)."""
    return _run(flow, answers, today, until=question_id)[0]  # type: ignore[return-value]


def _run(flow: Flow, answers: Mapping[str, str], today: date,
         until: str | None = None) -> tuple[list[str], list[str], list[bool]]:
    state, typed, saved, stores = engine.start(flow), [], [], []
    for _ in range(4 * len(flow.questions) + 4):
        question = engine.current_question(flow, state)
        if question is None or (question.id == until and state.pending is None):
            return typed, saved, stores
        pending = state.pending
        if pending is not None and pending.kind in ("confirm", "known"):
            raw = "yes"
        elif pending is not None and pending.kind == "other":
            raw = answers.get(f"{question.id}:other", "Something else")
        elif question.id in answers:
            raw = answers[question.id]
        elif not question.required:
            raw = "/skip"
        else:
            raise AssertionError(f"{flow.id}: no answer given for required `{question.id}`")
        typed.append(raw)
        step = engine.skip(flow, state, "en") if raw == "/skip" else engine.submit(
            flow, state, raw, "en", today)
        if step.state is state or step.state == state:
            raise AssertionError(f"{flow.id}.{question.id}: {raw!r} was refused")
        stores.append(step.saved is not None)
        if step.saved is not None:
            saved.append(step.saved.question_id)
        state = step.state
    raise AssertionError(f"{flow.id} did not finish")
