"""The question banks of seed document 000 (how to question a customer), item by item.

A flow question names the items it carries (`seed: [decision.2]`); `interview-bot flows`
and a test check that the shipped flows carry every item, each on its SPIN stage.
Pure data: the English gist of each item, in our own words.
"""

from __future__ import annotations

from typing import NamedTuple


class SeedItem(NamedTuple):
    stage: str  # the SPIN stage a question carrying it belongs to
    gist: str


BANK_000: dict[str, SeedItem] = {
    # basic information
    "basic.1": SeedItem("background", "head count"),
    "basic.2": SeedItem("background", "main lines of business"),
    "basic.3": SeedItem("background", "the respondent's own responsibilities"),
    "basic.4": SeedItem("pain_point", "recurring problems and the time they take"),
    "basic.5": SeedItem("pain_point", "what concerns them most at present"),
    # the decision
    "decision.1": SeedItem("background", "who else takes part in the decision"),
    "decision.2": SeedItem("background", "what they plan to do next"),
    "decision.3": SeedItem("background", "whom else we must talk to"),
    "decision.4": SeedItem("background", "how long such a decision takes"),
    # competitors
    "competitors.1": SeedItem("background", "which vendors like us they rate"),
    "competitors.2": SeedItem("background", "their view of the vendor they named"),
    "competitors.3": SeedItem("background", "past cooperation with it and how it went"),
    "competitors.4": SeedItem("background", "what satisfied them"),
    "competitors.5": SeedItem("background", "what would satisfy them more"),
    "competitors.6": SeedItem("background", "their advice for that vendor"),
    "competitors.7": SeedItem("background", "who else is in contact with them"),
    # problems that surface dissatisfaction
    "problems.1": SeedItem("pain_point", "what they like least in the current solution"),
    "problems.2": SeedItem("pain_point", "what gives them headaches"),
    "problems.3": SeedItem("pain_point", "what takes too much of their time"),
    "problems.4": SeedItem("pain_point", "why they want to buy now"),
    "problems.5": SeedItem("pain_point", "what stops them deciding"),
    "problems.6": SeedItem("pain_point", "what it takes to get their and others' approval"),
    # implication
    "implication.1": SeedItem("implication", "what the problems do to them"),
    "implication.2": SeedItem("implication", "what it means if the problems persist"),
    "implication.3": SeedItem("implication", "how their boss sees the problem"),
    "implication.4": SeedItem("implication", "how far they are from working with us"),
    "implication.5": SeedItem("implication", "what a delay of the project would cost"),
    # need-payoff
    "need_payoff.1": SeedItem("need_payoff", "what solving the problems would bring"),
    "need_payoff.2": SeedItem("need_payoff", "the time it would free"),
    "need_payoff.3": SeedItem("need_payoff", "why they need them solved"),
    "need_payoff.4": SeedItem("need_payoff", "the deadline, and why that date"),
    # steering toward a decision
    "steer.1": SeedItem("need_payoff", "their next step toward a decision"),
    "steer.2": SeedItem("need_payoff", "how long until they decide"),
    "steer.3": SeedItem("need_payoff", "what interests them most in our offer"),
    # specific needs
    "specific.1": SeedItem("need_payoff", "the ideal solution"),
    "specific.2": SeedItem("need_payoff", "the feature that matters most, and why"),
    "specific.3": SeedItem("need_payoff", "how they would use it"),
}


def carried(flows: object) -> dict[str, list[str]]:
    """Seed item -> the `flow.question` ids carrying it on the item's stage."""
    found: dict[str, list[str]] = {item: [] for item in BANK_000}
    for flow in flows:  # type: ignore[attr-defined]
        for question in flow.questions:
            for item in question.seed:
                if item in found and BANK_000[item].stage == question.stage.value:
                    found[item].append(f"{flow.id}.{question.id}")
    return found
