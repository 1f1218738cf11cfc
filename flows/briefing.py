"""What is still missing about a customer, and which questions to ask next: the rules of
`/brief`, in the order a reader can follow and a manager can tune (`brief:` in the policy
file, flows/policy/reminders.yaml).

A *gap* is something the record does not hold yet. Each gap has a name (the policy's
`gap_order` lists them, first asked first; a name left out is never asked about), a test
on the record, and the questions of the flows' own bank that would close it:

- `decision_maker`: open while no contact has a role in `decision_roles`; closed by the
  questions carrying seed items `decision.1` or `decision.3`, else a contact's role.
- `budget`, `timeline`, `need`, `decision_process`, `competitors`: open while the card's
  `deal.budget`, `deal.timeline`, `deal.need_description`, `deal.decision_process` or
  `deal.competitors` is empty; closed by the questions filling that field.
- `background`, `pain_point`, `implication`, `need_payoff`: open while no answer of that
  SPIN stage has content; closed by that stage's questions carrying seed-000 items.

One question per open gap, in `gap_order`, at most `questions_max`; when fewer than
`questions_min` come out, the stages with the fewest answers give one more each (seed
questions not asked yet). A question already answered for this customer, or whose card
field is already filled, is never suggested; nor is the same wording twice.

Pure: the caller passes what the record holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flows.model import Flow, Question
from flows.quality import STAGES

FIELD_GAPS: dict[str, str] = {
    "budget": "deal.budget",
    "timeline": "deal.timeline",
    "need": "deal.need_description",
    "decision_process": "deal.decision_process",
    "competitors": "deal.competitors",
}
DECISION_SEEDS = frozenset({"decision.1", "decision.3"})
GAPS = ("decision_maker", *FIELD_GAPS, *STAGES)


class BriefRules(BaseModel):
    """The policy's `brief:` section."""

    model_config = ConfigDict(extra="forbid")
    questions_min: int = Field(3, ge=0, le=10)
    questions_max: int = Field(5, ge=1, le=10)
    gap_order: list[str] = Field(default_factory=lambda: [
        "decision_maker", "budget", "timeline", "implication", "need_payoff", "pain_point",
        "need", "decision_process", "competitors", "background"])
    # a contact with one of these roles (contact.decision_role) is a named decision-maker
    decision_roles: list[str] = Field(default_factory=lambda: ["decision_maker"])
    # a meeting's brief goes to its owner this long before it (/meet, a debrief's next contact)
    lead_minutes: int = Field(60, ge=0, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _known_gaps(self) -> BriefRules:
        unknown = [g for g in self.gap_order if g not in GAPS]
        if unknown:
            raise ValueError(f"brief.gap_order: unknown gap(s) {', '.join(unknown)}; the "
                             f"gaps are {', '.join(GAPS)}")
        if self.questions_min > self.questions_max:
            raise ValueError("brief.questions_min is larger than brief.questions_max")
        return self


@dataclass(frozen=True)
class Record:
    """What the record holds about one customer, as the rules read it."""

    filled: frozenset[str]  # card fields with content ("deal.budget", "contact.name")
    decision_roles: frozenset[str]  # the roles its contacts have
    stage_answers: Mapping[str, int]  # answers with content per SPIN stage
    asked: frozenset[tuple[str, str]]  # (flow id, question id) answered with content


@dataclass(frozen=True)
class Suggestion:
    flow_id: str
    question: Question
    gap: str  # why: the gap it closes ("budget"), or the stage it adds to ("stage:...")
    thin: bool = False  # chosen to fill up: its stage has the fewest answers, not none


@dataclass(frozen=True)
class Plan:
    gaps: tuple[str, ...]  # open, in the policy's order
    uncovered: tuple[str, ...]  # SPIN stages without an answer, in SPIN order
    missing_by_stage: Mapping[str, tuple[str, ...]]  # card fields, under their stage
    suggestions: tuple[Suggestion, ...] = field(default=())


def open_gaps(record: Record, rules: BriefRules) -> tuple[str, ...]:
    def is_open(gap: str) -> bool:
        if gap == "decision_maker":
            return not record.decision_roles & set(rules.decision_roles)
        if gap in FIELD_GAPS:
            return FIELD_GAPS[gap] not in record.filled
        return not record.stage_answers.get(gap, 0)
    return tuple(g for g in rules.gap_order if is_open(g))


def plan(record: Record, flows: Iterable[Flow], missing_fields: Iterable[str],
         rules: BriefRules) -> Plan:
    """The open gaps, the missing card fields by SPIN stage, and the questions to ask."""
    bank = [(flow.id, q) for flow in flows for q in flow.questions]
    gaps = open_gaps(record, rules)
    chosen: list[Suggestion] = []
    seen: set[str] = set()

    def first(gap: str, candidates: Iterable[tuple[str, Question]], thin: bool = False) -> None:
        for flow_id, question in candidates:
            wording = _wording(question)
            if ((flow_id, question.id) in record.asked or wording in seen
                    or (question.maps_to is not None and question.maps_to in record.filled)):
                continue
            seen.add(wording)
            chosen.append(Suggestion(flow_id, question, gap, thin))
            return

    for gap in gaps:
        if len(chosen) >= rules.questions_max:
            break
        first(gap, _closing(gap, bank))
    for stage in sorted(STAGES, key=lambda s: record.stage_answers.get(s, 0)):
        if len(chosen) >= min(rules.questions_min, rules.questions_max):
            break
        first(stage, _closing(stage, bank), thin=True)
    stage_of = _field_stages(bank)
    missing: dict[str, list[str]] = {stage: [] for stage in STAGES}
    for name in missing_fields:
        missing[stage_of.get(name, "background")].append(name)
    return Plan(gaps, tuple(s for s in STAGES if not record.stage_answers.get(s, 0)),
                {stage: tuple(names) for stage, names in missing.items()}, tuple(chosen))


def _closing(gap: str, bank: list[tuple[str, Question]]) -> list[tuple[str, Question]]:
    """The bank's questions that would close `gap`, those carrying seed items first."""
    if gap == "decision_maker":
        found = [(f, q) for f, q in bank if DECISION_SEEDS & set(q.seed)]
        return found + [(f, q) for f, q in bank if q.maps_to == "contact.decision_role"]
    if gap in FIELD_GAPS:
        found = [(f, q) for f, q in bank if q.maps_to == FIELD_GAPS[gap]]
    else:
        found = [(f, q) for f, q in bank if q.stage.value == gap and q.seed]
    return sorted(found, key=lambda fq: not fq[1].seed)


def _field_stages(bank: list[tuple[str, Question]]) -> dict[str, str]:
    """Each card field under the SPIN stage of the first question that fills it."""
    stages: dict[str, str] = {}
    for _, question in bank:
        if question.maps_to is not None:
            stages.setdefault(question.maps_to, question.stage.value)
    stages.setdefault("customer.size", stages.get("customer.employees", "background"))
    return stages


def _wording(question: Question) -> str:
    text = question.text
    return text if isinstance(text, str) else " ".join(v for _, v in sorted(text.items()))
