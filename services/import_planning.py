"""Pass 1 of an import (reads the database once, writes nothing): every row's owner found
and its customer decided — one already known (same credit code, company name, phone or
email) or a new one, perhaps made by an earlier row of the same file. A row for one rep
that matches another rep's customer is reported and left out, never merged silently (the
rule the chat follows when a rep names someone else's customer: services.duplicates)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.importing import Outcome, Problem, Row
from storage import customers
from storage.crypto import blind_index
from storage.models import Contact, Customer, User


@dataclass(slots=True)
class Planned:
    row: int
    target: int  # > 0: a known customer's id; < 0: new, made by row -target
    owner_id: int | None


class KeyIndex:
    """Who is known, by credit code, company name, phone and email: ids only."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.codes: dict[str, int] = {}
        self.names: dict[str, int] = {}
        self.phones: dict[str, int] = {}  # by blind index: no phone is decrypted
        self.emails: dict[str, int] = {}
        self.code_of: dict[int, str] = {}
        self.label: dict[int, str] = {}  # target -> how the summary names it
        self.owner_of: dict[int, int] = {}  # known customers that have an owner: whose
        self._last: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> KeyIndex:
        index = cls(session.get_bind().dialect)
        for cid, name, code, owner in await session.execute(
                select(Customer.id, Customer.name, Customer.credit_code, Customer.owner_id)):
            index.add(cid, {"customer.name": name, "customer.credit_code": code})
            index.label[cid] = f"{name} (#{cid})"
            if owner is not None:
                index.owner_of[cid] = owner
        for cid, phone, email in await session.execute(
                select(Contact.customer_id, Contact.phone_index, Contact.email_index)
                .where(Contact.phone_index.is_not(None) | Contact.email_index.is_not(None))):
            if phone:
                index.phones.setdefault(phone, cid)
            if email:
                index.emails.setdefault(email, cid)
        return index

    def phone_key(self, values: dict[str, Any]) -> str | None:
        return self._key("phone", values.get("contact.phone"))

    def email_key(self, values: dict[str, Any]) -> str | None:
        email = values.get("contact.email")
        return self._key("email", email.lower() if email else None)

    def _key(self, kind: str, value: str | None) -> str | None:
        """The blind index, remembered for the row in hand (match, then add)."""
        last = self._last.get(kind)
        if last is None or last[0] != value:
            last = self._last[kind] = (value, blind_index(self.dialect, kind, value))
        return last[1]

    def add(self, target: int, values: dict[str, Any]) -> None:
        if code := values.get("customer.credit_code"):
            self.codes.setdefault(code, target)
            self.code_of.setdefault(target, code)
        if name := values.get("customer.name"):
            self.names.setdefault(customers.name_key(name), target)
        if phone := self.phone_key(values):
            self.phones.setdefault(phone, target)
        if email := self.email_key(values):
            self.emails.setdefault(email, target)

    def match(self, values: dict[str, Any]) -> tuple[int | None, str]:
        code = values.get("customer.credit_code")
        if code and code in self.codes:
            return self.codes[code], "credit code"
        by_name = self.names.get(customers.name_key(values.get("customer.name", "")))
        if by_name is not None and not (code and self.code_of.get(by_name, code) != code):
            return by_name, "company name"
        phone = self.phone_key(values)
        if phone and phone in self.phones:
            return self.phones[phone], "phone"
        email = self.email_key(values)
        if email and email in self.emails:
            return self.emails[email], "email"
        return None, ""


async def plan(sessions: async_sessionmaker[AsyncSession], rows: Iterable[Row],
               outcome: Outcome, owner: User | None) -> list[Planned]:
    """Pass 1: each row's customer; problems in `outcome` (then nothing may be written)."""
    async with sessions.begin() as session:
        people = list(await session.scalars(select(User)))
        staff = {u.name: u.id for u in people if u.active}
        names = {u.id: u.name for u in people}
        index = await KeyIndex.load(session)
    planned: list[Planned] = []
    for row in rows:
        owner_id = owner.id if owner is not None else None
        if row.owner:
            owner_id = staff.get(row.owner)
            if owner_id is None:
                outcome.note("problems", Problem(row.number, f"owner {row.owner!r} is not an "
                                                             "active staff member's name"))
                continue
        if outcome.problems:
            continue  # keep checking, but plan nothing more
        target, via = index.match(row.values)
        if target is None:
            target = -row.number
            index.label[target] = f"{row.values['customer.name']} (new, row {row.number})"
            outcome.note("created", f"row {row.number}: {row.values['customer.name']}")
        else:
            holder = index.owner_of.get(target) if target > 0 else None
            if holder is not None and owner_id is not None and holder != owner_id:
                outcome.note("others", f"row {row.number} → {index.label[target]}, same {via}:"
                                       f" {names.get(holder, holder)}'s customer, left as it is")
                continue
            outcome.note("merged", f"row {row.number} → {index.label[target]}, same {via}")
            if holder is not None:
                owner_id = None  # an owner on record stays
        index.add(target, row.values)
        planned.append(Planned(row.number, target, owner_id))
    return planned
