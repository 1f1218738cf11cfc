"""The whole of an interview's progress, small and JSON-serialisable.

Only answers and two markers are kept; the current question is derived from them
(the first question, in flow order, whose `when` holds and that has no answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATE_FORMAT = 1


@dataclass
class Pending:
    """An answer waiting for a second step: a confirmation, or the text of 'Other'."""

    question_id: str
    kind: str  # "confirm" | "other" | "select" (multi-choice options ticked on buttons)
    value: Any = None
    other_text: str | None = None
    raw: str | None = None


@dataclass
class InterviewState:
    flow_id: str
    flow_version: str
    fingerprint: str
    answers: dict[str, Any] = field(default_factory=dict)  # None means skipped
    other: dict[str, str] = field(default_factory=dict)  # free text given for "Other"
    editing: str | None = None  # a question the respondent went /back to
    pending: Pending | None = None
    done: bool = False
    # what the card already held when the interview began, for questions whose flow says
    # `known: confirm|skip`: question id -> {"value": …, "other": …}
    known: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "fingerprint": self.fingerprint,
            "answers": dict(sorted(self.answers.items())),
            "other": dict(sorted(self.other.items())),
            "editing": self.editing,
            "pending": None if self.pending is None else {
                "question_id": self.pending.question_id, "kind": self.pending.kind,
                "value": self.pending.value, "other_text": self.pending.other_text,
                "raw": self.pending.raw,
            },
            "done": self.done,
            **({"known": self.known} if self.known else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InterviewState:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown interview state format {data.get('format')!r}")
        pending = data.get("pending")
        return cls(
            flow_id=data["flow_id"],
            flow_version=str(data["flow_version"]),
            fingerprint=data["fingerprint"],
            answers=dict(data.get("answers") or {}),
            other=dict(data.get("other") or {}),
            editing=data.get("editing"),
            pending=Pending(**pending) if pending else None,
            done=bool(data.get("done")),
            known=dict(data.get("known") or {}),
        )
