"""The customer information card (seed 003) as `maps_to` targets, and the answers each takes."""

from __future__ import annotations

from flows.model import QuestionType as T

_TEXTUAL = frozenset({T.TEXT, T.CHOICE})

CARD_FIELDS: dict[str, frozenset[T]] = {
    # the company
    "customer.name": frozenset({T.TEXT}),
    "customer.credit_code": frozenset({T.TEXT}),
    "customer.industry": _TEXTUAL,
    "customer.employees": frozenset({T.INTEGER, T.NUMBER}),
    "customer.revenue_band": _TEXTUAL,
    "customer.address": frozenset({T.TEXT}),
    "customer.website": frozenset({T.TEXT}),
    "customer.grade": frozenset({T.CHOICE}),
    "customer.priority": frozenset({T.CHOICE}),
    # the person answering, or the person the rep met
    "contact.name": frozenset({T.TEXT}),
    "contact.title": frozenset({T.TEXT}),
    "contact.department": frozenset({T.TEXT}),
    "contact.phone": frozenset({T.PHONE}),
    "contact.email": frozenset({T.EMAIL}),
    "contact.messenger_id": frozenset({T.TEXT}),
    "contact.decision_role": frozenset({T.CHOICE}),
    "contact.birthday": frozenset({T.DATE}),
    # the opportunity
    "deal.need_type": frozenset({T.TEXT, T.CHOICE, T.MULTI_CHOICE}),
    "deal.need_description": frozenset({T.TEXT}),
    "deal.budget": frozenset({T.TEXT, T.CHOICE, T.NUMBER, T.INTEGER}),
    "deal.timeline": frozenset({T.TEXT, T.CHOICE, T.DATE}),
    "deal.decision_process": frozenset({T.TEXT}),
    "deal.competitors": frozenset({T.TEXT, T.MULTI_CHOICE}),
    "deal.next_step": frozenset({T.TEXT, T.CHOICE}),
    "deal.next_contact": frozenset({T.DATE}),
}

# Values a rule's `set:` or a choice question may write into fields with a closed vocabulary.
CLOSED_VALUES: dict[str, frozenset[str]] = {
    "customer.grade": frozenset("ABCDE"),
    "customer.priority": frozenset({"high", "medium", "low"}),
    "contact.decision_role": frozenset({"decision_maker", "influencer", "user", "other"}),
}

# Fields an `on_complete` rule may `set:`.
RULE_SETTABLE = frozenset({"customer.grade", "customer.priority", "deal.next_step"})
