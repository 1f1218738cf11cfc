"""Writing a checked spreadsheet into the central record, in two passes over the file.

1. Plan (reads the database once, writes nothing): every row is checked, its owner
   found, and its customer decided: one already known (same credit code, company name,
   phone or email) or a new one, perhaps made by an earlier row of the same file. Any
   problem and nothing is written. A dry run ends after pass 2 has computed, unwritten,
   what it would change.
2. Write, CHUNK_ROWS rows a transaction, so another command waits at most one chunk
   (on SQLite a short pause between chunks lets it in). Each chunk records what it wrote
   in the import journal; if the import fails, is interrupted or killed, what it wrote
   is undone (at once, or by the next import), so it is all or nothing to the user.

Only keys are kept between chunks (ids, company keys, blind indexes): memory does not
grow with the width of the file, and a chunk's records are dropped once it commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flows.card_fields import field_label
from services.follow_up_planner import FollowUpPlanner
from services.import_planning import Planned, plan
from services.importing import Outcome, Row, checked_rows
from storage import audit, customers, import_journal
from storage.card import CARD_COLUMNS, fit
from storage.crypto import blind_index
from storage.models import Contact, Customer, User, index_contact

CHUNK_ROWS = 500
SQLITE_GAP_SECONDS = 0.025  # longer than a waiting connection's longest nap (sqlite_inline)
CONTACT_FIELDS = ("name", "title", "department", "phone", "email", "messenger_id",
                  "decision_role", "birthday", "notes")
Progress = Callable[[int, int], None]  # rows written, rows in all
# what a column of the file fills: the card, and a contact's notes (no flow asks for them)
COLUMNS = {**CARD_COLUMNS, "contact.notes": ("contact", "notes")}


class Writer:
    """Pass 2: chunk by chunk. With `dry_run`, computes the same but writes nothing (the
    records it would change are kept in memory instead, so later rows see them)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], outcome: Outcome, *,
                 actor: str, channel: str, now: datetime, dry_run: bool,
                 clock: Callable[[], datetime] | None = None,
                 planner: FollowUpPlanner | None = None) -> None:
        self.sessions, self.outcome, self.planner = sessions, outcome, planner
        self.clock = clock or (lambda: now)
        self.actor, self.channel, self.now, self.dry_run = actor, channel, now, dry_run
        self.new_ids: dict[int, int] = {}  # new target -> its customer id, once written
        self.run_id = 0
        self.kept: dict[int, Card] = {}  # dry run: target -> the card as it would be

    async def write(self, rows: Iterable[Row], planned: list[Planned], source: str, *,
                    sqlite: bool, progress: Progress | None = None) -> None:
        if not self.dry_run:
            async with self.sessions.begin() as session:
                self.run_id = (await import_journal.start(session, source, self.actor,
                                                          self.now)).id
        done = 0
        try:
            wanted = {p.row for p in planned}
            pairs = zip((r for r in rows if r.number in wanted), planned, strict=True)
            while chunk := list(islice(pairs, CHUNK_ROWS)):
                async with self.sessions.begin() as session:
                    await self._chunk(session, chunk)
                    if self.dry_run:
                        await session.rollback()
                    else:
                        await import_journal.beat(session, self.run_id, done + len(chunk),
                                                  self.clock())
                done += len(chunk)
                if progress is not None:
                    progress(done, len(planned))
                if sqlite and not self.dry_run:
                    await asyncio.sleep(SQLITE_GAP_SECONDS)  # let a waiting command in
        except BaseException:
            if not self.dry_run:
                await import_journal.undo(self.sessions, self.run_id, self.now)
            raise
        if not self.dry_run:
            async with self.sessions.begin() as session:
                await import_journal.finish(session, self.run_id, "done", len(planned),
                                            self.now)
            self.outcome.applied = True

    async def _chunk(self, session: AsyncSession, chunk: list[tuple[Row, Planned]]) -> None:
        cards = await self._cards(session, chunk)
        made: dict[int, Card] = {}
        filled: dict[int, set[str]] = {}
        for row, planned in chunk:  # customers first: their contacts need their ids
            card = cards.get(planned.target)
            if card is None:  # a new customer, made by this row
                customer = new_record(Customer, owner_id=planned.owner_id, tags=[],
                                      created_at=self.now, updated_at=self.now)
                customers.set_name(customer, row.values["customer.name"])
                card = cards[planned.target] = made[planned.target] = Card(customer, [], {})
                if self.dry_run:
                    self.kept[planned.target] = card
            if planned.owner_id is not None and card.customer.owner_id is None:
                card.customer.owner_id = planned.owner_id
            filled[planned.row] = set(_fill(card.customer, "customer", row, self.outcome,
                                            self.now))
        if not self.dry_run and made:
            ids = await _insert(session, Customer, [c.customer for c in made.values()])
            self.new_ids.update(zip(made, ids, strict=True))
        dialect = session.get_bind().dialect
        new_contacts: list[Any] = []
        for row, planned in chunk:
            if not any(row.values.get(f"contact.{c}") for c in CONTACT_FIELDS):
                continue
            card = cards[planned.target]
            contact = _matching_contact(card.contacts, row, dialect)
            if contact is None:
                contact = new_record(Contact, customer_id=card.customer.id,
                                     created_at=self.now, updated_at=self.now)
                card.contacts.append(contact)
                new_contacts.append(contact)
            filled[planned.row].update(_fill(contact, "contact", row, self.outcome, self.now))
        if self.dry_run:
            return
        for contact in new_contacts:  # the flush hook that keeps them is not run by INSERT
            index_contact(contact, dialect)
        await _insert(session, Contact, new_contacts)
        await session.flush()  # the fields filled on records already there
        await self._journal(session, chunk, cards, made, new_contacts, filled)

    async def _journal(self, session: AsyncSession, chunk: list[tuple[Row, Planned]],
                       cards: dict[int, Card], made: dict[int, Card],
                       new_contacts: list[Any], filled: dict[int, set[str]]) -> None:
        """What the chunk wrote, in the import journal (to undo it) and the audit trail;
        a grade or owner set re-plans the revisit."""
        journal: list[tuple[str, int, bool, list[str]]] = [
            ("customer", c.customer.id, True, []) for c in made.values()]
        journal += [("contact", c.id, True, []) for c in new_contacts]
        for card in cards.values():
            for record, columns in card.filled_since_loaded():
                entity = "customer" if isinstance(record, Customer) else "contact"
                journal.append((entity, record.id, False, columns))
                if self.planner is not None and isinstance(record, Customer) and (
                        "grade" in columns or "owner_id" in columns):
                    await self.planner.set_revisit(session, record, self.now)  # by the grade
        await import_journal.record_many(session, self.run_id, journal)
        await audit.append_many(session, at=self.now, actor=self.actor, channel=self.channel,
                                entries=[
            ("customer.import" if planned.row == -planned.target else "customer.merge",
             "customer", cards[planned.target].customer.id, sorted(filled[planned.row]))
            for _row, planned in chunk])

    async def _cards(self, session: AsyncSession,
                     chunk: list[tuple[Row, Planned]]) -> dict[int, Card]:
        """The customers (and their contacts) this chunk's rows fill, by target: loaded
        from the database, or in a dry run, kept from an earlier chunk."""
        cards = {t: self.kept[t] for t in {p.target for _, p in chunk} if t in self.kept}
        ids = {}
        for _, planned in chunk:
            known = planned.target if planned.target > 0 else self.new_ids.get(planned.target)
            if known is not None and planned.target not in cards:
                ids[known] = planned.target
        if not ids:
            return cards
        for customer in await session.scalars(select(Customer).where(Customer.id.in_(ids))):
            cards[ids[customer.id]] = Card(customer, [], {})
        for contact in await session.scalars(select(Contact).where(
                Contact.customer_id.in_(ids)).order_by(Contact.id)):
            cards[ids[contact.customer_id]].contacts.append(contact)
        for target in set(ids.values()):
            card = cards[target]
            card.remember(made_by_this_run=target < 0)
            if self.dry_run:  # kept, so later chunks see what this one would change
                session.expunge(card.customer)
                for contact in card.contacts:
                    session.expunge(contact)
                self.kept[target] = card
        return cards


@dataclass
class Card:
    """A customer and its contacts as one chunk sees them, and their empty fields before."""

    customer: Customer
    contacts: list[Contact]
    empty_before: dict[int, tuple[Customer | Contact, list[str]]]

    def remember(self, made_by_this_run: bool) -> None:
        if made_by_this_run:
            return  # undoing the run deletes it: nothing to note
        records: list[Customer | Contact] = [self.customer, *self.contacts]
        for record in records:
            kind = "customer" if isinstance(record, Customer) else "contact"
            columns = [c for k, c in COLUMNS.values() if k == kind]
            if kind == "customer":
                columns.append("owner_id")
            self.empty_before[id(record)] = (record, [
                c for c in columns if getattr(record, c) in (None, "")])

    def filled_since_loaded(self) -> Iterator[tuple[Customer | Contact, list[str]]]:
        """Records that were there before this run, and the empty columns it filled."""
        for record, empty in self.empty_before.values():
            columns = [c for c in empty if getattr(record, c) not in (None, "")]
            if columns:
                yield record, columns


def new_record(model: type[Customer] | type[Contact], **values: Any) -> Any:
    """A record to be inserted in bulk: its columns as attributes, none of the ORM's
    bookkeeping (one per row of a 50,000-row file)."""
    record = SimpleNamespace(**dict.fromkeys(_COLUMNS[model]))
    vars(record).update(values)
    return record


_COLUMNS = {model: [c.key for c in model.__table__.columns
                    if not c.key.startswith("_")] for model in (Customer, Contact)}


async def _insert(session: AsyncSession, model: type[Customer] | type[Contact],
                  records: list[Any]) -> list[int]:
    """Insert new records in one statement; their ids, in order, are set on them."""
    if not records:
        return []
    rows = [{k: v for k, v in vars(r).items() if k != "id"} for r in records]
    result = await session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    ids = list(result.scalars())
    for record, new_id in zip(records, ids, strict=True):
        record.id = new_id
    return ids


def _fill(record: Any, kind: str, row: Row, outcome: Outcome,
          now: datetime) -> list[str]:
    """Fill the record's empty fields from the row; a filled one stays (the difference is
    reported). Returns the card fields filled."""
    filled = []
    for name, value in row.values.items():
        record_kind, column = COLUMNS.get(name, ("", ""))
        if record_kind != kind or name == "customer.name" or value in (None, ""):
            continue
        current = getattr(record, column)
        if current in (None, ""):
            model = Customer if kind == "customer" else Contact
            setattr(record, column, fit(model, column, value))
            filled.append(name)
        elif str(current) != str(value):
            who = record.name if kind == "customer" else f"contact {record.name or ''}"
            label = field_label(name, "en") if kind == "customer" else column
            outcome.note("kept", f"row {row.number}: {who} keeps {label} {current!r} (the "
                                 f"file says {value!r})")
    if filled:
        record.updated_at = now
    return filled


def _matching_contact(existing: list[Contact], row: Row, dialect: Dialect) -> Contact | None:
    """The customer's contact this row speaks of: the same phone, or the same name."""
    phone = blind_index(dialect, "phone", row.values.get("contact.phone"))
    name = row.values.get("contact.name")
    for contact in existing:
        known = contact.phone_index or blind_index(dialect, "phone", contact.phone)
        if (phone and known == phone) or (name and contact.name == name):
            return contact
    return None


async def import_table(sessions: async_sessionmaker[AsyncSession],
                       table: Callable[[], Iterable[list[str]]], *, source: str, today: date,
                       owner: User | None, actor: str, channel: str, now: datetime,
                       dry_run: bool, sqlite: bool, progress: Progress | None = None,
                       clock: Callable[[], datetime] | None = None,
                       planner: FollowUpPlanner | None = None) -> Outcome:
    """The whole import. `table()` gives the file's rows afresh (it is read twice, never
    held). An earlier import that was killed midway is undone first."""
    outcome = Outcome()
    async with sessions.begin() as session:
        stale = await import_journal.unfinished(session, clock() if clock else now)
    for run in stale:
        await import_journal.undo(sessions, run.id, now)
        outcome.undone.append(f"import #{run.id} of {run.source} (started "
                              f"{run.started_at:%Y-%m-%d %H:%M} UTC) was interrupted: what it "
                              "wrote was undone")
    planned = await plan(sessions, checked_rows(table(), today, outcome), outcome, owner)
    if outcome.problems:
        return outcome
    writer = Writer(sessions, outcome, actor=actor, channel=channel, now=now, dry_run=dry_run,
                    clock=clock, planner=planner)
    await writer.write(checked_rows(table(), today, Outcome()), planned, source,
                       sqlite=sqlite, progress=progress)
    return outcome
