"""Deal warnings from the record: the state each rule reads (flows.deal_warnings has the
rules), for one customer (a brief, a card) or for every open customer at once — the
warnings pass the reminder runtime runs beside its planning, which stores each warning
with when it began and when it ended (a decision-maker named, a debrief logged)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.briefing import BriefRules
from flows.deal_warnings import DealState, DealWarning, WarningRules, deal_warnings
from flows.model import Flow
from flows.quality import CONFLICT_FIELDS
from services.reports import card_conflicts
from storage import deal_facts
from storage.models import Customer
from storage.reporting import chunks

CHUNK = 2000  # customers whose conflicts are judged in one go


class DealRules(Protocol):
    """The flows and the policy's `brief` and `warnings` (the interview service has them)."""

    flows: Mapping[str, Flow]
    brief_rules: BriefRules
    warning_rules: WarningRules
    zone: ZoneInfo


@dataclass(frozen=True)
class Watched:
    customers: int  # judged
    opened: int
    ended: int
    open: int  # warnings open after the pass


def deal_state(facts: deal_facts.Facts, disagreements: int, zone: ZoneInfo) -> DealState:
    overdue = facts.oldest_overdue_follow_up
    timeline = facts.timeline
    return DealState(
        grade=facts.grade, last_activity=facts.last_activity, created_at=facts.created_at,
        debriefs=facts.debriefs, has_decision_maker=facts.deciders > 0,
        budget_known=facts.budget_known,
        timeline=(str(timeline[0]), timeline[1].astimezone(zone).date())
        if timeline is not None else None,
        disagreements=disagreements, need_payoff_answers=facts.need_payoff_answers,
        contacts=facts.contacts,
        oldest_overdue_follow_up=overdue.astimezone(zone).date() if overdue else None)


async def warnings_of(session: AsyncSession, rules: DealRules, customer: Customer,
                      now: datetime, disagreements: int | None = None) -> list[DealWarning]:
    """One customer's warnings as of now (the brief passes the conflicts it counted)."""
    found = await deal_facts.read_facts(
        session, decision_roles=rules.brief_rules.decision_roles,
        conflict_fields=CONFLICT_FIELDS if disagreements is None else (), now=now,
        customer_id=customer.id)
    facts = found.get(customer.id)
    if facts is None:
        return []
    if disagreements is None:
        disagreements = len((await card_conflicts(session, dict(rules.flows), [customer.id],
                                                  "en")).get(customer.id, [])) \
            if facts.customer_answers else 0
    return deal_warnings(deal_state(facts, disagreements, rules.zone), rules.warning_rules,
                         now, now.astimezone(rules.zone).date())


async def watch_deals(session: AsyncSession, rules: DealRules, now: datetime) -> Watched:
    """The warnings pass: judge every open customer, open what is new, end what cleared
    (and every warning of a customer closed meanwhile). Safe to run as often as you like,
    and on two replicas at once."""
    every = await deal_facts.read_facts(
        session, decision_roles=rules.brief_rules.decision_roles,
        conflict_fields=CONFLICT_FIELDS, now=now)
    disagreements = await _disagreements(session, rules, [
        cid for cid, facts in every.items() if facts.customer_answers])
    today = now.astimezone(rules.zone).date()
    seen = [deal_facts.Seen(cid, w.kind, w.days, w.count)
            for cid, facts in every.items()
            for w in deal_warnings(deal_state(facts, disagreements.get(cid, 0), rules.zone),
                                   rules.warning_rules, now, today)]
    stored = await deal_facts.open_warnings(session)
    opened, ended = await deal_facts.record_warnings(session, seen, stored, None, now)
    return Watched(len(every), opened, ended, len(seen))


async def _disagreements(session: AsyncSession, rules: DealRules,
                         ids: list[int]) -> dict[int, int]:
    """Conflicts between what the customer and a rep said, for the customers who answered a
    key fact themselves (the only ones who can have any)."""
    found: dict[int, int] = {}
    for chunk in chunks(ids, CHUNK):
        found.update({cid: len(conflicts) for cid, conflicts in (
            await card_conflicts(session, dict(rules.flows), chunk, "en")).items()})
    return found
