"""What the engine returns: plain data that each adapter renders in its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.model import I18nText, QuestionType, Stage
from flows.state import InterviewState


@dataclass(frozen=True, slots=True)
class Prompt:
    """Ask a question (mode "answer"), confirm an answer ("confirm"), or ask what 'Other' is."""

    question_id: str
    number: int  # 1-based position among the questions that apply
    total: int  # how many questions are asked in all, given the answers so far
    stage: Stage
    section: str | None
    kind: QuestionType
    text: str
    why: str | None
    options: list[tuple[str, str]]  # (id, label); empty for typed answers
    required: bool
    can_back: bool
    mode: str = "answer"
    current: str | None = None  # the answer already given, when the respondent went back
    error: str | None = None  # why the last input was not accepted
    notice: str | None = None
    min_label: str | None = None
    max_label: str | None = None
    selected: tuple[str, ...] = ()  # multi-choice options ticked so far (buttons)
    exact: bool = True  # False: `total` is an upper bound (some questions depend on answers)


@dataclass(frozen=True, slots=True)
class SummaryLine:
    question_id: str
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class FollowUpPlan:
    after: str | None  # "3d", "2w", "1m"
    on: str | None  # ISO date given by an answer
    note: I18nText | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the `on_complete` rules decided."""

    tags: tuple[str, ...] = ()
    set: dict[str, str] = field(default_factory=dict)
    follow_ups: tuple[FollowUpPlan, ...] = ()


@dataclass(frozen=True, slots=True)
class Completed:
    summary: list[SummaryLine]
    outcome: Outcome


Step = Prompt | Completed


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """An answer the storage layer must persist."""

    question_id: str
    value: Any
    other_text: str | None
    raw: str | None  # what the respondent typed; None for /skip
    source: str = "typed"  # "kept": the value already on the card, confirmed


@dataclass(frozen=True, slots=True)
class Transition:
    state: InterviewState
    step: Step
    saved: AnswerRecord | None = None
    dropped: tuple[str, ...] = ()  # answers removed because their `when` no longer holds
    completed: bool = False
