"""Random answer sequences through every shipped flow: the engine never gets stuck."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import engine
from flows.answer_checks import options, scale_bounds
from flows.loader import default_flow_dir, load_paths
from flows.model import Flow, Question, QuestionType
from flows.state import InterviewState
from flows.steps import Completed, Prompt

TODAY = date(2026, 11, 23)
FLOWS = load_paths([default_flow_dir()])


def valid_raw(question: Question, pick: int) -> str:
    """Some answer the question accepts; `pick` varies which one."""
    kind = question.type
    if kind in (QuestionType.CHOICE, QuestionType.YES_NO, QuestionType.MULTI_CHOICE):
        count = len(options(question, "en"))
        return str(pick % count + 1)
    if kind == QuestionType.SCALE:
        low, high = scale_bounds(question)
        return str(low + pick % (high - low + 1))
    if kind in (QuestionType.INTEGER, QuestionType.NUMBER):
        low = int(question.min) if isinstance(question.min, int | float) else 0
        return str(low + pick % 3)
    if kind == QuestionType.DATE:
        return f"in {1 + pick % 30} days"
    if kind == QuestionType.PHONE:
        return "138 0013 8000"
    if kind == QuestionType.EMAIL:
        return "li.wei@example.com"
    if question.pattern is not None:  # the one patterned question shipped: a credit code
        return "91310000MA1FL8XQ30"
    return f"answer {pick}"


def raw_for(question: Question, value: Any, other: str | None) -> str:
    """Typing back a stored value gives the same value."""
    if isinstance(value, list):
        return ",".join(other if v == "other" and other else v for v in value)
    if value == "other" and other:
        return f"other: {other}"
    return str(value)


ACTION = st.one_of(
    st.tuples(st.just("valid"), st.integers(0, 50)),
    st.tuples(st.just("text"), st.text(max_size=30)),
    st.tuples(st.just("back"), st.just(0)),
    st.tuples(st.just("skip"), st.just(0)),
    st.tuples(st.just("confirm"), st.sampled_from(["yes", "no", "1", "maybe"])),
)


def act(flow: Flow, state: InterviewState, action: tuple[str, Any]) -> InterviewState:
    kind, arg = action
    question = engine.current_question(flow, state)
    if kind == "back":
        return engine.back(flow, state, "en").state
    if kind == "skip":
        return engine.skip(flow, state, "en").state
    if kind == "valid" and question is not None:
        pending = state.pending
        raw = "other text" if pending and pending.kind == "other" else valid_raw(question, arg)
        if pending and pending.kind == "confirm":
            raw = "yes"
        return engine.submit(flow, state, raw, "en", TODAY).state
    return engine.submit(flow, state, str(arg), "en", TODAY).state


def finish(flow: Flow, state: InterviewState) -> InterviewState:
    """Answer validly until done; fails if that takes more steps than the flow could need."""
    for _ in range(4 * len(flow.questions) + 4):
        if engine.current_question(flow, state) is None:
            return state
        state = act(flow, state, ("valid", 1))
    raise AssertionError(f"stuck at {engine.current_question(flow, state)}")


def check_complete(flow: Flow, state: InterviewState) -> None:
    step = engine.view(flow, state, "en")
    assert isinstance(step, Completed)
    for question in flow.questions:
        applies = engine.applies(question, state)
        if applies and question.required:
            assert state.answers.get(question.id) is not None, question.id
        if not applies:
            assert question.id not in state.answers, question.id


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(ACTION, max_size=40))
def test_random_sequences_always_finish_with_every_required_answer(
        flow_id: str, actions: list[tuple[str, Any]]) -> None:
    flow = FLOWS[flow_id]
    state = engine.start(flow)
    for action in actions:
        state = act(flow, state, action)
        step = engine.view(flow, state, "en")
        assert isinstance(step, Prompt | Completed)
        assert InterviewState.from_json(state.to_json()) == state
        # a step works out each distinct condition once: the same as asking every question
        assert engine.live(flow, state) == [engine.applies(q, state) for q in flow.questions]
    check_complete(flow, finish(flow, state))


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
@settings(max_examples=40, deadline=None)
@given(picks=st.lists(st.integers(0, 50), min_size=1, max_size=30), depth=st.integers(0, 30))
def test_back_then_the_same_answer_restores_the_state(
        flow_id: str, picks: list[int], depth: int) -> None:
    flow = FLOWS[flow_id]
    state = engine.start(flow)
    for pick in picks[:depth]:
        state = act(flow, state, ("valid", pick))
    if state.done or state.pending is not None:
        return
    back = engine.back(flow, state, "en").state
    if back.editing is None:
        return  # nothing to go back to
    question = flow.question(back.editing)
    raw = raw_for(question, back.answers[question.id], back.other.get(question.id))
    again = engine.submit(flow, back, raw, "en", TODAY).state
    if question.confirm:
        again = engine.submit(flow, again, "yes", "en", TODAY).state
    assert again == state
