"""Customer and contact queries. Callers own the session and the transaction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.among import among
from storage.models import Contact, Customer, User

_NOISE = re.compile(r"[\s\-_.,，。·・'\"“”‘’()（）\[\]【】]+")
# legal forms at the end of a company name, longest first
_SUFFIXES = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团公司|集团|公司|coltd|company|"
                       r"inc|llc|ltd|limited|corporation|corp|gmbh|co)$")


def name_key(name: str) -> str:
    """The one company-identity rule (creation, lookup and import alike): width, case,
    spacing and punctuation folded, the legal form dropped. 上海示例阀门有限公司, "上海 示例
    阀门" and ＳＨ示例 are told apart; 上海示例阀门 and 上海示例阀门有限公司 are one company."""
    key = _NOISE.sub("", unicodedata.normalize("NFKC", name).casefold())
    stripped = _SUFFIXES.sub("", key)
    return stripped or key


def search_key(name: str) -> str:
    """What a partial search looks in: the whole name folded, the identity key, its full
    pinyin and its pinyin initials (华东精密有限公司 → 华东精密有限公司|华东精密|
    huadongjingmi|hdjm)."""
    from pypinyin import lazy_pinyin  # loaded on first use: it is large

    key = name_key(name)
    whole = _NOISE.sub("", unicodedata.normalize("NFKC", name).casefold())  # with its 有限公司
    syllables = lazy_pinyin(key)  # letters and digits stay as they are, in one piece
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    return "|".join(dict.fromkeys(k for k in (whole, key, full, initials) if k))


# tag families a customer has one of: a new priority tag replaces the old one
EXCLUSIVE_TAGS = ("priority:",)


def add_tags(existing: list[str], new: list[str]) -> list[str]:
    """`existing` with `new` added; a tag of an exclusive family replaces its sibling."""
    families = {f for tag in new for f in EXCLUSIVE_TAGS if tag.startswith(f)}
    kept = [t for t in existing if not any(t.startswith(f) for f in families)]
    return list(dict.fromkeys([*kept, *new]))


def set_name(customer: Customer, name: str) -> None:
    """Name a customer and keep its identity and search keys with the name."""
    customer.name = " ".join(name.split())
    customer.name_key, customer.search_key = name_key(name), search_key(name)


async def find_by_name(session: AsyncSession, name: str) -> list[Customer]:
    """Customers that are this company by the identity rule."""
    result = await session.scalars(
        select(Customer).where(Customer.name_key == name_key(name)).order_by(Customer.id))
    return list(result)


async def create(session: AsyncSession, name: str, now: datetime,
                 owner_id: int | None = None) -> Customer:
    customer = Customer(owner_id=owner_id, tags=[], created_at=now, updated_at=now)
    set_name(customer, name)
    session.add(customer)
    await session.flush()
    return customer


async def load(session: AsyncSession, customer_ids: Iterable[int],
               contact_ids: Iterable[int]) -> list[Customer | Contact]:
    """Bring these customers and contacts into the session at once (two queries for a batch);
    while the caller holds the list, `get` and `session.get` find them without a query."""
    found: list[Customer | Contact] = []
    if ids := set(customer_ids):
        found += await session.scalars(select(Customer).where(among(session, Customer.id, ids)))
    if ids := set(contact_ids):
        found += await session.scalars(select(Contact).where(among(session, Contact.id, ids)))
    return found


async def everyone(session: AsyncSession) -> tuple[list[Customer], dict[int, str]]:
    """Every customer by id, and the names of the staff (their owners among them)."""
    owners = {u.id: u.name for u in await session.scalars(select(User))}
    return list(await session.scalars(select(Customer).order_by(Customer.id))), owners


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


async def first_contact_id(session: AsyncSession, customer_id: int) -> int | None:
    """The customer's first contact (its main one, when nobody said otherwise)."""
    return await session.scalar(select(Contact.id).where(Contact.customer_id == customer_id)
                                .order_by(Contact.id).limit(1))


async def owner_of(session: AsyncSession, customer: Customer) -> User | None:
    """Its owner's record (None for a customer nobody owns)."""
    return await session.get(User, customer.owner_id) if customer.owner_id else None


async def worked_on(session: AsyncSession, customer_id: int | None, now: datetime) -> None:
    """Its owner worked on it (a debrief, a note, a follow-up done): the team pool's clock
    starts again (scheduler.pool)."""
    if customer_id is not None:
        await session.execute(update(Customer).where(Customer.id == customer_id)
                              .values(worked_at=now)
                              .execution_options(synchronize_session="fetch"))
