"""Finding the customer a person means, as they would type it: `#12`, the company under
any spelling (the one identity rule), part of its name, its pinyin or pinyin initials
(`hzjm`, `huadong` → 华东精密…), a contact's name, phone or email (through blind indexes:
nothing is decrypted to search)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.values import parse_email, parse_phone
from storage import customers
from storage.crypto import blind_index
from storage.models import Contact, Customer, person_key

MAX_FOUND = 20
MIN_PARTIAL = 2  # characters: one would match half the list


async def search(session: AsyncSession, query: str) -> list[Customer]:
    """The customers the query names, best first: an id or the company itself when it
    matches exactly, else everyone it could mean (at most MAX_FOUND)."""
    text = " ".join(unicodedata.normalize("NFKC", query).split())
    if not text:
        return []
    number = text.lstrip("#")
    if number.isdecimal() and (by_id := await session.get(Customer, int(number))) is not None:
        return [by_id]
    if exact := await customers.find_by_name(session, text):
        return exact
    dialect = session.get_bind().dialect
    by_person = []
    phone, email = parse_phone(text), parse_email(text)
    if phone:
        by_person.append(Contact.phone_index == blind_index(dialect, "phone", phone))
    if email:
        by_person.append(Contact.email_index == blind_index(dialect, "email", email.lower()))
    if name := person_key(text):
        by_person.append(Contact.name_index == blind_index(dialect, "name", name))
    found: list[Customer] = list(await session.scalars(
        select(Customer).join(Contact, Contact.customer_id == Customer.id)
        .where(or_(*by_person)).distinct().order_by(Customer.id).limit(MAX_FOUND))
    ) if by_person else []
    if phone or email:
        return found
    key = customers.name_key(text)
    if len(key) >= MIN_PARTIAL:
        seen = {c.id for c in found}
        found += [c for c in await session.scalars(
            select(Customer).where(Customer.search_key.contains(key, autoescape=True))
            .order_by(Customer.name).limit(MAX_FOUND)) if c.id not in seen]
    return found[:MAX_FOUND]


async def closest(session: AsyncSession, query: str, among: list[Customer] | None = None,
                  n: int = 3) -> list[str]:
    """Names that look most like the query, for a "not found" reply (the caller passes the
    customers its user may see)."""
    if among is None:
        among = list(await session.scalars(select(Customer).limit(5000)))
    names = {customers.name_key(c.name): c.name for c in among
             if not c.name.startswith("erased #")}
    keys = difflib.get_close_matches(customers.name_key(query), list(names), n=n, cutoff=0.3)
    return [names[k] for k in keys]


@dataclass(frozen=True)
class Naming:
    """What a name typed by one person comes to, by the one rule every door follows: one
    customer (use it), several (ask which, or take `#id`), or none (say which names look
    like it; a new customer only on an explicit choice)."""

    found: list[Customer]  # those the person may act on, best first
    elsewhere: bool  # it names customers the person may not see
    closest: list[str]  # when nothing matched: names that look like it
    others: tuple[Customer, ...] = ()  # when `elsewhere`: those customers


async def name_customer(session: AsyncSession, typed: str,
                        may_see: Callable[[Customer], Awaitable[bool]] | None = None,
                        visible: Callable[[], Awaitable[Sequence[Customer]]] | None = None
                        ) -> Naming:
    """`may_see` filters what the person may act on (everyone when None); `visible` loads
    the customers offered as close names, only when nothing matched (everyone when None)."""
    matches = await search(session, typed)
    found = [c for c in matches if may_see is None or await may_see(c)]
    near = [] if matches else await closest(
        session, typed, None if visible is None else list(await visible()))
    others = tuple(matches) if matches and not found else ()
    return Naming(found, bool(matches) and not found, near, others)
