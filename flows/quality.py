"""How good a record is: SPIN coverage of a debrief, completeness of a customer's card,
and conflicts between what the customer said and what the rep recorded.

Pure: callers pass plain values read from wherever they keep them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.model import Stage

STAGES: tuple[str, ...] = tuple(s.value for s in Stage)

# The seed-003 collection template, in its order. A group counts as filled when any of
# its card fields is (company size is staff or revenue band).
COMPLETENESS_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("customer.name", ("customer.name",)),
    ("customer.credit_code", ("customer.credit_code",)),
    ("customer.industry", ("customer.industry",)),
    ("customer.size", ("customer.employees", "customer.revenue_band")),
    ("customer.address", ("customer.address",)),
    ("customer.website", ("customer.website",)),
    ("contact.name", ("contact.name",)),
    ("contact.title", ("contact.title",)),
    ("contact.department", ("contact.department",)),
    ("contact.phone", ("contact.phone",)),
    ("contact.messenger_id", ("contact.messenger_id",)),
    ("contact.decision_role", ("contact.decision_role",)),
    ("deal.need_type", ("deal.need_type",)),
    ("deal.need_description", ("deal.need_description",)),
    ("deal.budget", ("deal.budget",)),
    ("deal.timeline", ("deal.timeline",)),
    ("deal.decision_process", ("deal.decision_process",)),
    ("deal.competitors", ("deal.competitors",)),
)

# Fields where the customer's word and the rep's record are both kept and compared.
CONFLICT_FIELDS = frozenset({
    "customer.industry", "customer.employees", "contact.name", "contact.decision_role",
    "deal.need_type", "deal.budget", "deal.timeline", "deal.decision_process",
    "deal.competitors",
})


@dataclass(frozen=True, slots=True)
class Coverage:
    covered: tuple[str, ...]  # in SPIN order
    answered: Mapping[str, int]  # answers given per stage

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s for s in STAGES if s not in self.covered)

    @property
    def share(self) -> float:
        return len(self.covered) / len(STAGES)

    @property
    def complete(self) -> bool:
        return len(self.covered) == len(STAGES)


def spin_coverage(answers: Iterable[tuple[str, Any]]) -> Coverage:
    """A stage is covered when at least one of its questions got an answer with content
    (a skipped question, an empty list or blank text does not count)."""
    counts = dict.fromkeys(STAGES, 0)
    for stage, value in answers:
        if stage in counts and has_content(value):
            counts[stage] += 1
    return Coverage(tuple(s for s in STAGES if counts[s]), counts)


@dataclass(frozen=True, slots=True)
class Completeness:
    filled: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.filled) + len(self.missing)

    @property
    def share(self) -> float:
        return len(self.filled) / self.total if self.total else 1.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)


def completeness(card: Mapping[str, Any]) -> Completeness:
    """`card` maps card fields ("deal.budget") to values; contact fields count as filled
    when any contact has them, so callers pass the first non-empty one."""
    filled: list[str] = []
    missing: list[str] = []
    for name, fields in COMPLETENESS_FIELDS:
        (filled if any(has_content(card.get(f)) for f in fields) else missing).append(name)
    return Completeness(tuple(filled), tuple(missing))


def has_content(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | dict):
        return bool(value)
    return True


@dataclass(frozen=True, slots=True)
class Observation:
    """One card field as one source gave it."""

    field: str
    source: str  # "customer" | "rep"
    value: Any
    shown: str  # how to show it (labels, not ids)
    at: datetime
    interview_id: int | None = None
    # what the question asked (its `meaning`, or its id): only answers to the same kind of
    # question are compared ("who else decides" is no answer to "what are the approval steps")
    meaning: str = ""


@dataclass(frozen=True, slots=True)
class Conflict:
    field: str
    customer: Observation
    rep: Observation

    @property
    def since(self) -> datetime:
        return max(self.customer.at, self.rep.at)


def conflicts(observations: Iterable[Observation],
              resolved: Mapping[str, datetime] | None = None) -> list[Conflict]:
    """Fields where the newest customer answer and the newest rep answer to the same kind
    of question (same field, same meaning) disagree.

    A conflict is closed once a newer answer from either side agrees, or once someone
    resolved it (`resolved[field]`) after both answers were given.
    """
    newest: dict[tuple[str, str, str], Observation] = {}
    for obs in observations:
        if obs.field not in CONFLICT_FIELDS or not has_content(obs.value):
            continue
        key = (obs.field, obs.meaning, obs.source)
        if key not in newest or obs.at >= newest[key].at:
            newest[key] = obs
    found = []
    for field, meaning in sorted({(f, m) for f, m, _ in newest}):
        theirs = newest.get((field, meaning, "customer"))
        ours = newest.get((field, meaning, "rep"))
        if theirs is None or ours is None or same(theirs.value, ours.value):
            continue
        conflict = Conflict(field, theirs, ours)
        closed_at = (resolved or {}).get(field)
        if closed_at is not None and closed_at >= conflict.since:
            continue
        found.append(conflict)
    return found


def same(a: Any, b: Any) -> bool:
    """Equal after normalising what a person would not call a difference: case, width,
    spacing, and the order of a multi-choice answer."""
    return bool(_norm(a) == _norm(b))


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return tuple(sorted(str(_norm(v)) for v in value))
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return value
