"""The rules of /brief (flows/briefing.py) over the shipped question bank: which gaps are
open, and which questions close them, with their reasons."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flows.briefing import BriefRules, Record, plan
from flows.model import Flow

NOTHING = Record(frozenset(), frozenset(), {}, frozenset())


def debriefed_once() -> Record:
    """One debrief: a contact (an influencer), the need and the timeline; no budget, no
    decision-maker; background and pain point covered, implication and need-payoff not."""
    return Record(frozenset({"contact.name", "contact.decision_role", "deal.need_description",
                             "deal.timeline"}),
                  frozenset({"influencer"}), {"background": 3, "pain_point": 1},
                  frozenset({("post_call", "met_name"), ("post_call", "met_role"),
                             ("post_call", "pain_detail"), ("post_call", "timeline")}))


def test_a_customer_without_decision_maker_or_budget_gets_questions_for_both(
        shipped_flows: dict[str, Flow]) -> None:
    made = plan(debriefed_once(), shipped_flows.values(), ["deal.budget", "deal.competitors"],
                BriefRules())
    assert made.gaps[:3] == ("decision_maker", "budget", "implication")
    assert made.uncovered == ("implication", "need_payoff")
    reasons = [s.gap for s in made.suggestions]
    assert reasons[:4] == ["decision_maker", "budget", "implication", "need_payoff"]
    assert 3 <= len(made.suggestions) <= 5
    first = made.suggestions[0].question
    assert {"decision.1", "decision.3"} & set(first.seed)  # "who else decides" from seed 000
    assert made.suggestions[1].question.maps_to == "deal.budget"
    assert made.suggestions[2].question.stage.value == "implication"
    assert made.missing_by_stage["need_payoff"] == ("deal.budget",)
    # nothing the record already holds is asked again
    assert all(s.question.maps_to not in ("deal.timeline", "deal.need_description")
               for s in made.suggestions)


def test_the_policy_reorders_and_drops_gaps(shipped_flows: dict[str, Flow]) -> None:
    rules = BriefRules(gap_order=["implication", "budget"], questions_min=0, questions_max=2)
    made = plan(debriefed_once(), shipped_flows.values(), [], rules)
    assert [s.gap for s in made.suggestions] == ["implication", "budget"]
    assert "decision_maker" not in made.gaps


def test_a_full_record_still_gets_the_minimum_from_its_thinnest_stages(
        shipped_flows: dict[str, Flow]) -> None:
    full = Record(frozenset({"deal.budget", "deal.timeline", "deal.need_description",
                             "deal.decision_process", "deal.competitors"}),
                  frozenset({"decision_maker"}),
                  {"background": 9, "pain_point": 4, "implication": 1, "need_payoff": 2},
                  frozenset())
    made = plan(full, shipped_flows.values(), [], BriefRules())
    assert made.gaps == () and made.uncovered == ()
    assert len(made.suggestions) == 3 and all(s.thin for s in made.suggestions)
    assert made.suggestions[0].question.stage.value == "implication"  # the least known first


def test_no_wording_is_suggested_twice(shipped_flows: dict[str, Flow]) -> None:
    made = plan(NOTHING, shipped_flows.values(), [], BriefRules(questions_max=10))
    texts = [str(s.question.text) for s in made.suggestions]
    assert len(texts) == len(set(texts)) == 10


def test_an_unknown_gap_in_the_policy_is_named() -> None:
    with pytest.raises(ValidationError, match=r"unknown gap.*budgte"):
        BriefRules(gap_order=["budgte"])
    with pytest.raises(ValidationError, match="questions_min is larger"):
        BriefRules(questions_min=6, questions_max=4)
