"""Who answers or acts, as the audit trail names them."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Interview


@dataclass(frozen=True, slots=True)
class Respondent:
    key: str  # who answers: "terminal", "tg:<account address>", "web:<invite>"
    channel: str  # "terminal" | "telegram" | "feishu" | "web" | "cli"
    user_id: int | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names them: a staff member as the person, a customer by key."""
        return actor_of(self.user_id, self.key)


def actor_of(user_id: int | None, key: str) -> str:
    return f"user:{user_id}" if user_id is not None else key


def answerer(interview: Interview) -> str:
    """The audit's name for whoever answers an interview."""
    return actor_of(interview.respondent_user_id, interview.respondent_key)
