"""What is held about a customer or one of its people, handed out or erased on request
(seed 001's confidentiality rules): each audited, the same from every door."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import events
from storage import audit, personal
from storage.models import Contact, Customer


class NoSuchContact(ValueError):
    """The contact asked for is not one of this customer's; the message says where to look."""


async def _contact_of(session: AsyncSession, customer: Customer, contact_id: int) -> Contact:
    person = await session.get(Contact, contact_id)
    if person is None or person.customer_id != customer.id:
        raise NoSuchContact(f"{customer.name} has no contact #{contact_id}; `customers "
                            "export-personal` lists its contacts with their ids")
    return person


async def export(session: AsyncSession, customer: Customer, contact_id: int | None, *,
                 actor: str, channel: str, now: datetime) -> dict[str, Any]:
    """Everything held about the customer, or about one of its contacts; audited."""
    if contact_id is not None:
        person = await _contact_of(session, customer, contact_id)
        document = await personal.export_contact(session, person)
        entity, entity_id = "contact", person.id
    else:
        document = await personal.export_personal(session, customer)
        entity, entity_id = "customer", customer.id
    await audit.append(session, at=now, actor=actor, action="personal.export", entity=entity,
                       entity_id=entity_id, channel=channel)
    return document


async def erase(session: AsyncSession, customer: Customer, contact_id: int | None, *,
                actor: str, channel: str, now: datetime) -> dict[str, int]:
    """Erase one contact, or the customer's personal data (the record anonymised); what was
    removed, by kind. Audited by storage.personal."""
    if contact_id is not None:
        person = await _contact_of(session, customer, contact_id)
        return await personal.erase_contact(session, person, actor=actor, channel=channel,
                                            now=now)
    counts = await personal.erase(session, customer, actor=actor, channel=channel, now=now)
    await events.customer_erased(session, customer.id, now)
    return counts
