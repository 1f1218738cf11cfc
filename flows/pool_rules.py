"""The team pool's rules (公海), as the policy file sets them (`pool:` in
flows/policy/reminders.yaml): pure data, read by the release pass and the claims."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PoolRules(BaseModel):
    """The team pool (公海, README "The team pool"): a customer its owner has not worked on
    for `release_after_days` (by grade) goes back to the pool of the owner's team, the owner
    warned `warn_days_before`; a rep may hold at most `holding_limit` customers (and at most
    `holding_limit_by_grade` of a grade) when claiming from the pool. Working on a customer
    is a debrief, a note or a follow-up marked done; a snooze is not."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False  # off until a team turns it on: an upgrade must not release
    release_after_days: dict[str, int] = Field(
        default_factory=lambda: {"A": 30, "B": 20, "C": 15, "D": 10, "E": 10})
    release_default_days: int = Field(15, ge=1)
    warn_days_before: int = Field(3, ge=0)
    holding_limit: int = Field(150, ge=1)
    holding_limit_by_grade: dict[str, int] = Field(default_factory=dict)

    def release_days(self, grade: str | None) -> int:
        return self.release_after_days.get(grade or "", self.release_default_days)
