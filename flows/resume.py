"""Carrying an interview in progress across edits of its flow file."""

from __future__ import annotations

from typing import Any

from flows.answer_checks import options, scale_bounds
from flows.engine import prune
from flows.model import CHOICE_TYPES, Flow, Question, QuestionType
from flows.state import InterviewState


class FlowMismatch(ValueError):
    """The saved interview belongs to another flow and cannot continue with this one."""


def resume(flow: Flow, state: InterviewState) -> tuple[InterviewState, tuple[str, ...]]:
    """The state fitted to the current flow, and the ids of answers that no longer fit.

    An unchanged flow keeps everything. After an edit, an answer is kept when its
    question still exists with the same type and the stored value is still valid
    (a choice id that was removed, or a number now out of bounds, is dropped and
    will be asked again).
    """
    if state.flow_id != flow.id:
        raise FlowMismatch(f"this interview is for flow {state.flow_id!r}, not {flow.id!r}")
    if state.fingerprint == flow.fingerprint:
        return state, ()
    known = {q.id: q for q in flow.questions}
    new = InterviewState(flow.id, str(flow.version), flow.fingerprint)
    dropped: list[str] = []
    for question_id, value in state.answers.items():
        question = known.get(question_id)
        if question is None or not still_valid(question, value):
            dropped.append(question_id)
            continue
        new.answers[question_id] = value
        if question_id in state.other and question.other:
            new.other[question_id] = state.other[question_id]
    if state.editing in new.answers:
        new.editing = state.editing
    dropped += prune(flow, new)
    return new, tuple(dropped)


def still_valid(question: Question, value: Any) -> bool:
    if value is None:
        return not question.required
    ids = {i for i, _ in options(question, "en")}
    if question.type in CHOICE_TYPES or question.type == QuestionType.YES_NO:
        values = value if isinstance(value, list) else [value]
        return isinstance(value, list) == (question.type == QuestionType.MULTI_CHOICE) and all(
            v in ids for v in values)
    if question.type == QuestionType.SCALE:
        low, high = scale_bounds(question)
        return isinstance(value, int) and low <= value <= high
    if question.type in (QuestionType.NUMBER, QuestionType.INTEGER):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        lo, hi = question.min, question.max
        return not ((isinstance(lo, int | float) and value < lo)
                    or (isinstance(hi, int | float) and value > hi)
                    or (question.type == QuestionType.INTEGER and value != int(value)))
    return isinstance(value, str)
