"""The reminder policy file (`flows/policy/reminders.yaml`) as a typed model."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from flows.briefing import BriefRules
from flows.deal_warnings import WarningRules
from flows.pool_rules import PoolRules

POLICY_FILE = Path(__file__).resolve().parent.parent / "flows" / "policy" / "reminders.yaml"


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time = time(21, 0)
    end: time = time(8, 30)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        if isinstance(value, str):
            hours, _, rest = value.partition(":")
            return time(int(hours), int(rest.partition(":")[0] or 0))  # 8:30, 08:30:00
        return value


class ReminderPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revisit_every_days: dict[str, int] = Field(
        default_factory=lambda: {"A": 30, "B": 45, "C": 90, "D": 60, "E": 90})
    revisit_default_days: int = 90
    escalate_after_days: int = 14
    birthday_days_before: int = 10
    invite_nudge_after_hours: int = 48
    digest_hour: int = Field(9, ge=0, le=23)
    weekly_report_weekday: int = Field(1, ge=1, le=7)  # ISO: 1 = Monday
    weekly_report_hour: int = Field(9, ge=0, le=23)
    quiet_hours: QuietHours = QuietHours()
    max_lateness_days: dict[str, int] = Field(default_factory=dict)
    # an open interview idle this long gets a nudge (per audience), then up to nudge_max
    # more, nudge_repeat_hours apart
    nudge_after_hours: dict[str, int] = Field(
        default_factory=lambda: {"customer": 24, "rep": 4})
    nudge_repeat_hours: int = Field(24, ge=1)
    nudge_max: int = Field(2, ge=0, le=10)
    # an overdue revisit pings its owner every overdue_repeat_days, and the owner's
    # manager from overdue_to_manager_days on (escalate_after_days: the manager's manager)
    overdue_repeat_days: int = Field(3, ge=1)
    overdue_to_manager_days: int = Field(7, ge=1)
    # a priority set by hand (/edit): when the next follow-up falls due
    follow_up_after_days: dict[str, int] = Field(
        default_factory=lambda: {"high": 3, "medium": 30, "low": 90})

    key_account_grades: list[str] = Field(default_factory=lambda: ["A"])
    contact_every_days: dict[str, int] = Field(default_factory=lambda: {
        "decision_maker": 7, "influencer": 15, "user": 30, "other": 30})
    manager_revisit_grades: list[str] = Field(default_factory=lambda: ["A"])
    manager_revisit_every_days: int = Field(90, ge=1)
    celebration_days_before: int = Field(30, ge=0)
    verify_every_days: int = Field(91, ge=1)
    clean_up_after_hours: int = Field(2, ge=0)
    clean_up_within_hours: int = Field(24, ge=1)
    vague_answers: dict[str, list[str]] = Field(default_factory=dict)
    brief: BriefRules = Field(default_factory=BriefRules)  # /brief (flows/briefing.py)
    warnings: WarningRules = Field(default_factory=WarningRules)  # flows/deal_warnings.py
    pool: PoolRules = Field(default_factory=PoolRules)  # the team pool (flows/pool_rules.py)

    def revisit_days(self, grade: str | None) -> int:
        return self.revisit_every_days.get(grade or "", self.revisit_default_days)


def load_policy(path: Path = POLICY_FILE) -> ReminderPolicy:
    if path != POLICY_FILE and not path.exists():
        raise ValueError(f"REMINDERS_POLICY_FILE {path} does not exist")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return ReminderPolicy.model_validate(data or {})
