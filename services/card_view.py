"""A customer's information card as /card and `customers show` present it: the fields,
co-owners, contacts, the latest notes, record quality, the deal's warnings and the latest
answers. Reading it
is audited (a card holds personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.deal_warnings import DealWarning
from services import card_editing
from services.deal_watch import DealRules, warnings_of
from services.reports import CardQuality, card_quality
from storage import audit, co_owners, customers
from storage.models import Answer, Contact, Customer, Interview, Note

LATEST_ANSWERS = 8
LATEST_NOTES = 3


@dataclass(frozen=True)
class Card:
    customer: Customer
    co_owners: list[str]  # names
    contacts: list[Contact]
    notes: list[Note]  # newest first
    quality: CardQuality
    latest: list[tuple[str, Answer]]  # (flow id, answer), oldest first
    warnings: list[DealWarning]  # as of now


async def read_card(session: AsyncSession, rules: DealRules, customer: Customer,
                    lang: str, *, reader: str, channel: str, now: datetime) -> Card:
    """The card under the rules' flows, with the deal's warnings as of now."""
    flows = rules.flows
    await audit.append(session, at=now, actor=reader, action="card.read", entity="customer",
                       entity_id=customer.id, channel=channel)
    others = [u.name for u in await co_owners.of_customer(session, customer.id)]
    contacts = list(await customers.contacts_of(session, customer.id))
    notes = list(await card_editing.notes_of(session, customer.id, limit=LATEST_NOTES))
    quality = (await card_quality(session, dict(flows), [customer], lang))[customer.id]
    latest = (await session.execute(
        select(Answer, Interview.flow_id).join(Interview, Interview.id == Answer.interview_id)
        .where(Answer.customer_id == customer.id, Answer.superseded_at.is_(None))
        .order_by(Answer.id.desc()).limit(LATEST_ANSWERS))).all()
    return Card(customer, others, contacts, notes, quality,
                [(flow_id, answer) for answer, flow_id in reversed(latest)],
                await warnings_of(session, rules, customer, now, len(quality.conflicts)))
