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
    with_option = parts[0] in {"a", "t"}
    if (with_option and len(parts) == 5) or (parts[0] in {"d", "s", "b"} and len(parts) == 4):
        numbers = parts[1:3] + parts[4:]
        if not all(n.isdecimal() for n in numbers):  # no signs, no blanks: ids are >= 0
            return None
        option = int(parts[4]) if with_option else -1
        return QuestionButton(parts[0], int(parts[1]), int(parts[2]), parts[3], option)
    if parts[0] in {"consent", "pick", "new", "lang", "rem", "cont", "reopen", "dup", "share"} \
            and len(parts) == 2:
        return parts[0], parts[1]
    return None
