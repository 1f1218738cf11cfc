"""Each deal warning is raised by the data its rule reads and cleared when that data
changes (flows/deal_warnings.py), under a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from flows.deal_warnings import DealState, WarningRules, deal_warnings

NOW = datetime(2026, 12, 6, 11, 30, tzinfo=UTC)
TODAY = date(2026, 12, 6)
HEALTHY = DealState(grade="C", last_activity=NOW - timedelta(days=2),
                    created_at=NOW - timedelta(days=90), debriefs=3, has_decision_maker=True,
                    budget_known=True, timeline=("within_3_months", TODAY - timedelta(days=10)),
                    disagreements=0, need_payoff_answers=2, contacts=2,
                    oldest_overdue_follow_up=None)


def kinds(state: DealState, rules: WarningRules | None = None) -> list[str]:
    return [w.kind for w in deal_warnings(state, rules or WarningRules(), NOW, TODAY)]


def test_a_healthy_deal_has_no_warning() -> None:
    assert kinds(HEALTHY) == []


# (kind, what makes it true, what clears it again)
CASES = [
    ("no_activity", {"last_activity": NOW - timedelta(days=45)},
     {"last_activity": NOW - timedelta(days=1)}),
    ("no_decision_maker", {"has_decision_maker": False}, {"has_decision_maker": True}),
    ("budget_unknown", {"budget_known": False}, {"budget_known": True}),
    ("timeline_unknown", {"timeline": None}, {"timeline": ("within_1_month", TODAY)}),
    ("purchase_date_passed", {"timeline": ("within_1_month", TODAY - timedelta(days=40))},
     {"timeline": ("within_6_months", TODAY - timedelta(days=40))}),
    ("disagreement", {"disagreements": 1}, {"disagreements": 0}),
    ("need_payoff_never", {"need_payoff_answers": 0}, {"need_payoff_answers": 1}),
    ("single_contact", {"grade": "A", "contacts": 1}, {"grade": "A", "contacts": 2}),
    ("follow_up_overdue", {"oldest_overdue_follow_up": TODAY - timedelta(days=4)},
     {"oldest_overdue_follow_up": TODAY - timedelta(days=3)}),
]


@pytest.mark.parametrize(("kind", "raise_it", "clear_it"), CASES, ids=[c[0] for c in CASES])
def test_each_warning_is_raised_and_cleared_by_its_data(
        kind: str, raise_it: dict[str, object], clear_it: dict[str, object]) -> None:
    raised = replace(HEALTHY, **raise_it)  # type: ignore[arg-type]
    assert kinds(raised) == [kind]
    assert kinds(replace(raised, **clear_it)) == []  # type: ignore[arg-type]


def test_thresholds_come_from_the_policy() -> None:
    idle_20 = replace(HEALTHY, grade="A", last_activity=NOW - timedelta(days=20))
    assert kinds(idle_20) == ["no_activity"]  # A: 14 days by default
    assert kinds(replace(idle_20, grade="C")) == []  # C: 45
    warning = deal_warnings(idle_20, WarningRules(), NOW, TODAY)[0]
    assert warning.days == 20
    relaxed = WarningRules(no_activity_days={"A": 30}, disabled=["single_contact"])
    assert kinds(idle_20, relaxed) == []
    one_debrief = replace(HEALTHY, debriefs=1, budget_known=False)
    assert kinds(one_debrief) == []  # a missing budget counts from the second debrief
    assert kinds(one_debrief, WarningRules(after_debriefs=1)) == ["budget_unknown"]


def test_a_new_customer_goes_quiet_from_the_day_it_was_made() -> None:
    fresh = replace(HEALTHY, last_activity=None, created_at=NOW - timedelta(days=50),
                    debriefs=0, need_payoff_answers=0)
    assert kinds(fresh) == ["no_activity"]
