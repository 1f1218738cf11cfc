"""Deal warnings: what the record says about a customer going cold, each with its threshold
in the policy (`warnings:` in the policy file) and its reason in words (rendered by the
doors from the kind and its figures).

Each kind: raised when … / clears when …
- `no_activity`: no debrief, questionnaire or note for `no_activity_days[grade]` days /
  anything recorded.
- `no_decision_maker`, `budget_unknown`, `timeline_unknown`: `after_debriefs` debriefs
  logged and still no contact in a decision role, no budget, no timeline on the card / the
  fact recorded.
- `purchase_date_passed`: the timeline given ("within 3 months", counted from the day it
  was given) ended before today / a newer timeline.
- `disagreement`: the customer and a rep gave different answers to a key fact / the
  answers agree, or someone resolved it.
- `need_payoff_never`: debriefs logged, and no need-payoff answer in any interview / one.
- `single_contact`: a customer of a grade in `single_contact_grades` with one contact or
  none / a second contact.
- `follow_up_overdue`: a follow-up more than `follow_up_overdue_days` past due / done,
  snoozed or moved.
A kind listed in `disabled` is never raised.

Pure: the caller passes what the record holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from flows.i18n import from_catalog

# how long each timeline choice runs from the day it was given
TIMELINE_DAYS = {"within_1_month": 31, "within_3_months": 92, "within_6_months": 183}
KINDS = ("no_activity", "no_decision_maker", "budget_unknown", "timeline_unknown",
         "purchase_date_passed", "disagreement", "need_payoff_never", "single_contact",
         "follow_up_overdue")

# each kind's short name, for columns, filters and counts (the brief says it with figures)
KIND_LABELS: dict[str, dict[str, str]] = {
    "no_activity": {"zh": "长期无进展", "en": "No activity"},
    "no_decision_maker": {"zh": "无决策人", "en": "No decision-maker"},
    "budget_unknown": {"zh": "预算未知", "en": "Budget unknown"},
    "timeline_unknown": {"zh": "采购时间未知", "en": "Timeline unknown"},
    "purchase_date_passed": {"zh": "采购时间已过", "en": "Purchase date passed"},
    "disagreement": {"zh": "说法不一", "en": "Disagreement"},
    "need_payoff_never": {"zh": "未谈需求效益", "en": "Need-payoff never covered"},
    "single_contact": {"zh": "单一联系人", "en": "Single contact"},
    "follow_up_overdue": {"zh": "跟进逾期", "en": "Follow-up overdue"},
}


def kind_label(kind: str, lang: str) -> str:
    return from_catalog(KIND_LABELS, kind, lang) if kind in KIND_LABELS else kind


class WarningRules(BaseModel):
    """The policy's `warnings:` section."""

    model_config = ConfigDict(extra="forbid")
    no_activity_days: dict[str, int] = Field(default_factory=lambda: {
        "A": 14, "B": 21, "C": 45, "D": 30, "E": 60})
    no_activity_default_days: int = Field(45, ge=1)  # customers without a grade
    after_debriefs: int = Field(2, ge=1)  # debriefs before a missing fact is a warning
    single_contact_grades: list[str] = Field(default_factory=lambda: ["A", "B"])
    follow_up_overdue_days: int = Field(3, ge=0)
    disabled: list[str] = Field(default_factory=list)  # kinds a team does not want

    def activity_days(self, grade: str | None) -> int:
        return self.no_activity_days.get(grade or "", self.no_activity_default_days)


@dataclass(frozen=True)
class DealState:
    """What the record holds about one customer, as the rules read it."""

    grade: str | None
    last_activity: datetime | None  # the newest debrief, questionnaire or note
    created_at: datetime
    debriefs: int  # completed by reps
    has_decision_maker: bool
    budget_known: bool
    timeline: tuple[str, date] | None  # the choice, and the day it was given
    disagreements: int
    need_payoff_answers: int
    contacts: int
    oldest_overdue_follow_up: date | None  # the due day of the oldest pending follow-up


@dataclass(frozen=True)
class DealWarning:
    kind: str
    days: int = 0  # how long: without activity, past the date, overdue
    count: int = 0  # debriefs, disagreements, contacts


def deal_warnings(state: DealState, rules: WarningRules, now: datetime,
                  today: date) -> list[DealWarning]:
    """The warnings that hold now, in the order of KINDS."""
    found: list[DealWarning] = []
    since = state.last_activity or state.created_at
    idle = (now - since) // timedelta(days=1)
    if idle >= rules.activity_days(state.grade):
        found.append(DealWarning("no_activity", days=idle))
    if state.debriefs >= rules.after_debriefs:
        for kind, known in (("no_decision_maker", state.has_decision_maker),
                            ("budget_unknown", state.budget_known),
                            ("timeline_unknown", state.timeline is not None)):
            if not known:
                found.append(DealWarning(kind, count=state.debriefs))
    if state.timeline is not None and state.timeline[0] in TIMELINE_DAYS:
        choice, given = state.timeline
        ended = given + timedelta(days=TIMELINE_DAYS[choice])
        if today > ended:
            found.append(DealWarning("purchase_date_passed", days=(today - ended).days))
    if state.disagreements:
        found.append(DealWarning("disagreement", count=state.disagreements))
    if state.debriefs and not state.need_payoff_answers:
        found.append(DealWarning("need_payoff_never", count=state.debriefs))
    if state.grade in rules.single_contact_grades and state.contacts <= 1:
        found.append(DealWarning("single_contact", count=state.contacts))
    if state.oldest_overdue_follow_up is not None:
        late = (today - state.oldest_overdue_follow_up).days
        if late > rules.follow_up_overdue_days:
            found.append(DealWarning("follow_up_overdue", days=late))
    return [w for w in found if w.kind not in rules.disabled]
