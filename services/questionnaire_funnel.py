"""How far invited customers get: sent, opened, consented or declined, each question
reached, finished, and the median time to finish, by flow and channel. Counts only: no
customer is named, and the rows come from the viewer's scope."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flows import engine
from flows.i18n import pick
from flows.model import Flow
from flows.piping import fill
from flows.state import InterviewState
from storage.funnel import InviteRow

STEPS = ("sent", "opened", "consented", "declined", "started", "finished")
CHANNELS = ("telegram", "web")  # where customers answer
SOURCES = ("telegram", "feishu", "dingtalk", "cli", "other")  # where reps make invites


@dataclass(frozen=True, slots=True)
class QuestionCount:
    number: int
    question_id: str
    text: str
    part: str | None  # an optional part the customer opted into
    reached: int  # shown this question (answered it, skipped it, or stopped at it)
    stopped: int  # unfinished interviews that stand at it now


@dataclass
class Funnel:
    flow_id: str
    title: str
    steps: dict[str, int] = field(default_factory=dict)
    questions: list[QuestionCount] = field(default_factory=list)
    median_minutes: float | None = None
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)

    def rate(self, step: str) -> int:
        """Percent of the invites sent."""
        sent = self.steps.get("sent", 0)
        return round(100 * self.steps.get(step, 0) / sent) if sent else 0

    @property
    def most_stopped(self) -> QuestionCount | None:
        stopped = [q for q in self.questions if q.stopped]
        return max(stopped, key=lambda q: (q.stopped, -q.number)) if stopped else None


def _steps(rows: Iterable[InviteRow]) -> dict[str, int]:
    counted = dict.fromkeys(STEPS, 0)
    for row in rows:
        counted["sent"] += 1
        counted["opened"] += row.opened_in is not None
        counted["consented"] += row.decision in ("accepted", "withdrawn")
        counted["declined"] += row.decision == "declined"
        counted["started"] += row.status is not None
        counted["finished"] += row.status == "completed"
    return counted


def funnel(rows: list[InviteRow], flow: Flow, lang: str, channel: str | None = None,
           source: str | None = None) -> Funnel:
    """The funnel of one flow's invites (of one channel or source, when given)."""
    mine = [r for r in rows if r.flow_id == flow.id]
    picked = [r for r in mine if (channel is None or r.opened_in == channel)
              and (source is None or r.sent_from == source)]
    result = Funnel(flow.id, pick(flow.title, lang), _steps(picked))
    result.by_channel = {c: _steps(r for r in mine if r.opened_in == c) for c in CHANNELS}
    result.by_source = {s: _steps(r for r in mine if r.sent_from == s) for s in SOURCES}
    reached = dict.fromkeys((q.id for q in flow.questions), 0)
    stopped = dict.fromkeys(reached, 0)
    for row in picked:
        if row.state is None:
            continue
        try:
            state = InterviewState.from_json(row.state)
        except (KeyError, ValueError):
            continue
        for question_id in state.answers:
            if question_id in reached:
                reached[question_id] += 1
        if row.status != "completed":
            here = _current(flow, state)
            if here is not None:
                stopped[here] += 1
                reached[here] += here not in state.answers
    result.questions = [
        QuestionCount(i, q.id, fill(pick(q.text, lang), lambda _name: "…"), q.part, reached[q.id],
                      stopped[q.id]) for i, q in enumerate(flow.questions, start=1)]
    minutes = [(r.completed_at - r.started_at).total_seconds() / 60 for r in picked
               if r.status == "completed" and r.completed_at and r.started_at]
    result.median_minutes = round(statistics.median(minutes), 1) if minutes else None
    return result


def _current(flow: Flow, state: InterviewState) -> str | None:
    try:
        question = engine.current_question(flow, state)
    except KeyError:  # the flow changed since: a question the state names is gone
        return None
    return None if question is None else question.id


def funnels(rows: list[InviteRow], flows: Mapping[str, Flow], lang: str) -> list[Funnel]:
    """One funnel per flow that invites were sent for (the weekly report's section)."""
    sent = sorted({r.flow_id for r in rows if r.flow_id in flows})
    return [funnel(rows, flows[f], lang) for f in sent]
