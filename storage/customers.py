"""Customer and contact queries. Callers own the session and the transaction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Customer

_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """The form two spellings of one company name share (width, case and spaces folded)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


async def find_by_name(session: AsyncSession, name: str) -> list[Customer]:
    result = await session.scalars(
        select(Customer).where(Customer.name_key == name_key(name)).order_by(Customer.id))
    return list(result)


async def create(session: AsyncSession, name: str, now: datetime,
                 owner_id: int | None = None) -> Customer:
    customer = Customer(name=name.strip(), name_key=name_key(name), owner_id=owner_id, tags=[],
                        created_at=now, updated_at=now)
    session.add(customer)
    await session.flush()
    return customer


async def load(session: AsyncSession, customer_ids: Iterable[int],
               contact_ids: Iterable[int]) -> list[Customer | Contact]:
    """Bring these customers and contacts into the session at once (two queries for a batch);
    while the caller holds the list, `get` and `session.get` find them without a query."""
    found: list[Customer | Contact] = []
    if ids := set(customer_ids):
        found += await session.scalars(select(Customer).where(Customer.id.in_(ids)))
    if ids := set(contact_ids):
        found += await session.scalars(select(Contact).where(Contact.id.in_(ids)))
    return found


async def get(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def new_contact(session: AsyncSession, customer_id: int, now: datetime) -> Contact:
    contact = Contact(customer_id=customer_id, created_at=now, updated_at=now)
    session.add(contact)
    await session.flush()
    return contact


async def contacts_of(session: AsyncSession, customer_id: int) -> list[Contact]:
    result = await session.scalars(
        select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id))
    return list(result)
