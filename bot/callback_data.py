"""Compact, untrusted button data (Telegram allows 64 bytes).

A question's buttons carry the interview id, the question's position in the flow
and a short flow fingerprint, so a press is checked against the interview as it
is now: a button of an old question, an edited flow or someone else's interview
is refused. Option ids are never sent; the option's position is.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64
FINGERPRINT_CHARS = 6


@dataclass(frozen=True, slots=True)
class QuestionButton:
    action: str  # "a" answer, "t" toggle (multi-choice), "d" done, "s" skip, "b" back
    interview_id: int
    question_index: int
    fingerprint: str
    option: int = -1

    def encode(self) -> str:
        data = f"{self.action}:{self.interview_id}:{self.question_index}:{self.fingerprint}"
        if self.option >= 0:
            data += f":{self.option}"
        assert len(data.encode()) <= MAX_BYTES
        return data


def question_button(action: str, interview_id: int, question_index: int, fingerprint: str,
                    option: int = -1) -> str:
    return QuestionButton(action, interview_id, question_index,
                          fingerprint[:FINGERPRINT_CHARS], option).encode()


def parse(data: str) -> QuestionButton | tuple[str, str] | None:
    """A question button, a simple (kind, argument) pair, or None for anything malformed."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if parts[0] in {"a", "t", "d", "s", "b"} and len(parts) in (4, 5):
        try:
            numbers = [int(p) for p in parts[1:3]] + ([int(parts[4])] if len(parts) == 5 else [])
        except ValueError:
            return None
        option = numbers[2] if len(numbers) == 3 else -1
        if min(numbers) < 0 and option != -1:
            return None
        return QuestionButton(parts[0], numbers[0], numbers[1], parts[3], option)
    if parts[0] in {"consent", "pick", "new", "lang"} and len(parts) == 2:
        return parts[0], parts[1]
    return None
