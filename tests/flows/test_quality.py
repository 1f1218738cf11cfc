"""SPIN coverage, card completeness and customer-vs-rep conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.quality import (
    COMPLETENESS_FIELDS,
    Observation,
    completeness,
    conflicts,
    spin_coverage,
)

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def test_a_stage_counts_only_when_an_answer_has_content() -> None:
    coverage = spin_coverage([("background", "first_visit"), ("pain_point", None),
                              ("pain_point", "  "), ("implication", []),
                              ("need_payoff", ["send_proposal"])])
    assert coverage.covered == ("background", "need_payoff")
    assert coverage.missing == ("pain_point", "implication")
    assert coverage.share == 0.5
    assert not coverage.complete
    assert coverage.answered["need_payoff"] == 1


def test_all_four_stages_is_complete_and_zero_is_a_number() -> None:
    full = spin_coverage([(s, 1) for s in ("need_payoff", "implication", "pain_point",
                                            "background")])
    assert full.complete and full.covered == ("background", "pain_point", "implication",
                                              "need_payoff")
    assert spin_coverage([("pain_point", 0)]).covered == ("pain_point",)
    assert spin_coverage([]).share == 0.0


def test_completeness_lists_the_missing_template_fields_in_order() -> None:
    card = {"customer.name": "华东精密", "customer.revenue_band": "1亿以上",
            "contact.phone": "+8613800138000", "deal.budget": "100k_500k",
            "deal.timeline": "", "customer.website": None}
    result = completeness(card)
    assert result.filled == ("customer.name", "customer.size", "contact.phone", "deal.budget")
    assert result.missing[0] == "customer.credit_code"
    assert "deal.timeline" in result.missing  # blank text is not filled
    assert result.total == len(COMPLETENESS_FIELDS) == 18
    assert result.percent == round(4 / 18 * 100) == 22


def test_an_empty_card_is_zero_percent_and_a_full_one_hundred() -> None:
    assert completeness({}).percent == 0
    full = {f: "x" for _, fields in COMPLETENESS_FIELDS for f in fields}
    assert completeness(full).percent == 100 and completeness(full).missing == ()


def _obs(field: str, source: str, value: object, days: int) -> Observation:
    return Observation(field, source, value, str(value), T0 + timedelta(days=days))


def test_customer_and_rep_disagreeing_on_budget_is_a_conflict_with_both_sides() -> None:
    found = conflicts([_obs("deal.budget", "customer", "under_100k", 0),
                       _obs("deal.budget", "rep", "500k_1m", 2),
                       _obs("deal.timeline", "customer", "within_3_months", 0),
                       _obs("deal.timeline", "rep", "within_3_months", 1)])
    assert [c.field for c in found] == ["deal.budget"]
    assert found[0].customer.value == "under_100k" and found[0].rep.value == "500k_1m"
    assert found[0].since == T0 + timedelta(days=2)


def test_only_the_newest_answer_of_each_side_counts() -> None:
    observations = [_obs("deal.budget", "customer", "under_100k", 0),
                    _obs("deal.budget", "rep", "500k_1m", 1),
                    _obs("deal.budget", "customer", "500k_1m", 3)]  # the customer revised it
    assert conflicts(observations) == []
    observations.append(_obs("deal.budget", "rep", "over_1m", 4))
    assert [c.rep.value for c in conflicts(observations)] == ["over_1m"]


def test_case_width_spacing_and_choice_order_are_not_differences() -> None:
    assert conflicts([_obs("contact.name", "customer", "Ｗang  Lei", 0),
                      _obs("contact.name", "rep", "wang lei", 1),
                      _obs("deal.need_type", "customer", ["quality", "high_cost"], 0),
                      _obs("deal.need_type", "rep", ["high_cost", "quality"], 1)]) == []


def test_one_sided_fields_and_fields_outside_the_list_are_not_conflicts() -> None:
    assert conflicts([_obs("deal.budget", "customer", "under_100k", 0),
                      _obs("contact.phone", "customer", "1", 0),
                      _obs("contact.phone", "rep", "2", 0),
                      _obs("deal.timeline", "rep", None, 0),
                      _obs("deal.timeline", "customer", "weeks", 0)]) == []


def test_a_resolution_closes_a_conflict_until_a_newer_answer_reopens_it() -> None:
    observations = [_obs("deal.budget", "customer", "under_100k", 0),
                    _obs("deal.budget", "rep", "500k_1m", 1)]
    resolved = {"deal.budget": T0 + timedelta(days=1, hours=1)}
    assert conflicts(observations, resolved) == []
    observations.append(_obs("deal.budget", "rep", "over_1m", 5))
    assert len(conflicts(observations, resolved)) == 1
