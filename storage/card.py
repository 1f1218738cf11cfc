"""Writing answers into the customer information card (`maps_to`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import customers
from storage.crypto import blind_index
from storage.models import Contact, Customer, Interview, person_key

# card field -> (record, column)
CARD_COLUMNS: dict[str, tuple[str, str]] = {
    "customer.name": ("customer", "name"),
    "customer.credit_code": ("customer", "credit_code"),
    "customer.industry": ("customer", "industry"),
    "customer.employees": ("customer", "employees"),
    "customer.revenue_band": ("customer", "revenue_band"),
    "customer.address": ("customer", "address"),
    "customer.website": ("customer", "website"),
    "customer.grade": ("customer", "grade"),
    "customer.priority": ("customer", "priority"),
    "customer.celebration": ("customer", "celebration_on"),
    "customer.last_verified": ("customer", "last_verified"),
    "contact.name": ("contact", "name"),
    "contact.title": ("contact", "title"),
    "contact.department": ("contact", "department"),
    "contact.phone": ("contact", "phone"),
    "contact.email": ("contact", "email"),
    "contact.messenger_id": ("contact", "messenger_id"),
    "contact.decision_role": ("contact", "decision_role"),
    "contact.birthday": ("contact", "birthday"),
    "deal.need_type": ("customer", "need_type"),
    "deal.need_description": ("customer", "need_description"),
    "deal.budget": ("customer", "budget"),
    "deal.timeline": ("customer", "timeline"),
    "deal.decision_process": ("customer", "decision_process"),
    "deal.competitors": ("customer", "competitors"),
    "deal.next_step": ("customer", "next_step"),
    "deal.next_contact": ("customer", "next_contact"),
}
_DATES = {"birthday", "next_contact", "celebration_on", "last_verified"}


def card_value(value: Any, other_text: str | None, column: str) -> Any:
    """The stored form: choice ids as given, "Other" as its text, lists comma-joined."""
    if value is None:
        return None
    if column in _DATES:
        return date.fromisoformat(value)
    if column == "employees":
        return int(value)
    if isinstance(value, list):
        return ",".join(other_text if v == "other" and other_text else str(v) for v in value)
    if value == "other" and other_text:
        return other_text
    return str(value) if not isinstance(value, str) else value


async def apply(session: AsyncSession, interview: Interview, customer: Customer, field: str,
                value: Any, other_text: str | None, now: datetime) -> None:
    """Set one card field from an answer (a skipped answer leaves the card as it was)."""
    if value is None:
        return
    record, column = CARD_COLUMNS[field]
    target: Customer | Contact = customer
    if field == "customer.credit_code" and isinstance(value, str):
        value = value.strip().upper()
        holder = await session.scalar(select(Customer.id).where(
            Customer.credit_code == value, Customer.id != customer.id))
        if holder is not None:  # the same company on another record: a duplicate to merge
            customer.tags = list(dict.fromkeys([*customer.tags, f"duplicate_of:#{holder}"]))
            return
    if record == "contact":
        same = await _same_person(session, interview, value) if field == "contact.name" \
            else None
        target = same or await _contact_of(session, interview, now)
    _write(target, column, value, other_text, now)


def set_field(customer: Customer, contact: Contact | None, field: str, value: Any,
              other_text: str | None, now: datetime) -> None:
    """Set one card field outside an interview (an edit); `contact` for contact fields."""
    record, column = CARD_COLUMNS[field]
    target = customer if record == "customer" else contact
    assert target is not None, "a contact field needs the contact"
    _write(target, column, value, other_text, now)


def _write(target: Customer | Contact, column: str, value: Any, other_text: str | None,
           now: datetime) -> None:
    setattr(target, column, None if value is None else _stored(target, column, value,
                                                               other_text))
    target.updated_at = now
    if column == "name" and isinstance(target, Customer):
        customers.set_name(target, target.name)


async def take_back(session: AsyncSession, interview: Interview, customer: Customer,
                    field: str, value: Any, other_text: str | None, now: datetime) -> bool:
    """An answer was skipped or dropped after all: empty the card field it filled, if the
    field still holds what that answer wrote (a later import or edit stays). Returns
    whether anything was taken back."""
    record, column = CARD_COLUMNS[field]
    if value is None or field == "customer.name":
        return False  # a company keeps its name
    target: Customer | Contact | None = customer
    if record == "contact":
        target = (await session.get(Contact, interview.contact_id)
                  if interview.contact_id is not None else None)
    if target is None or getattr(target, column) != _stored(target, column, value, other_text):
        return False
    setattr(target, column, None)
    target.updated_at = now
    return True


def _stored(target: Customer | Contact, column: str, value: Any, other_text: str | None) -> Any:
    # the full answer stays in the answers table
    return fit(type(target), column, card_value(value, other_text, column))


def fit(model: type[Customer] | type[Contact], column: str, value: Any) -> Any:
    """A text cut to what its column holds (the encrypted ones hold any length)."""
    length = getattr(model.__table__.c[column].type, "length", None)
    if isinstance(value, str) and length is not None:
        return value[:length]
    return value


async def _same_person(session: AsyncSession, interview: Interview, name: Any) -> Contact | None:
    """An interview that names its contact before it has one: the customer's contact of
    that name, if there is one (the customer's questionnaire and the rep's debrief about
    钱经理 fill one contact, not two)."""
    if interview.contact_id is not None or not isinstance(name, str):
        return None
    key = blind_index(session.get_bind().dialect, "name", person_key(name))
    if key is None:
        return None
    found = await session.scalar(select(Contact).where(
        Contact.customer_id == interview.customer_id, Contact.name_index == key)
        .order_by(Contact.id).limit(1))
    if found is not None:
        interview.contact_id = found.id
    return found


async def _contact_of(session: AsyncSession, interview: Interview, now: datetime) -> Contact:
    if interview.contact_id is not None:
        contact = await session.get(Contact, interview.contact_id)
        if contact is not None:
            return contact
    contact = await customers.new_contact(session, interview.customer_id, now)
    interview.contact_id = contact.id
    return contact
