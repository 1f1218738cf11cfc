"""Folding a duplicate customer record into another (seed 002: clean duplicates and merge
records of the same customer). Everything attached moves; the card's empty fields are
filled from the duplicate and the differences reported; the duplicate's row is deleted,
and a `customer_merges` row keeps its id for the audit trail (which cannot be edited)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import affected, co_owners, customers
from storage.card import CARD_COLUMNS
from storage.models import (
    Answer,
    Consent,
    Contact,
    CoOwner,
    Customer,
    CustomerMerge,
    DealWarningRow,
    ImportChange,
    Interview,
    Invite,
    Meeting,
    Note,
    Reminder,
)

# customer columns of the card a merge fills (the name stays the kept record's)
CARD_FIELDS = tuple(f for f, (record, _c) in CARD_COLUMNS.items()
                    if record == "customer" and f != "customer.name")
# what is planned from the record itself: planned again for the kept record
REPLANNED = ("revisit", "overdue", "overdue_team", "escalation", "verify", "manager_revisit",
             "celebration")


@dataclass
class MergeReport:
    moved: dict[str, int] = field(default_factory=dict)  # kind -> rows moved
    filled: list[str] = field(default_factory=list)  # card fields taken from the duplicate
    differing: list[str] = field(default_factory=list)  # both filled, kept the record's own
    stopped: int = 0  # the duplicate's open interviews stopped: the same one runs on the kept
    co_owner: int | None = None  # the duplicate's owner, now a co-owner of the kept record

    def as_json(self) -> dict[str, Any]:
        return {"moved": self.moved, "filled": self.filled, "differing": self.differing,
                "stopped": self.stopped, "co_owner": self.co_owner}


async def merge(session: AsyncSession, duplicate: Customer, kept: Customer, *, actor: str,
                now: datetime) -> MergeReport:
    """Fold `duplicate` into `kept` inside the caller's transaction."""
    if duplicate.id == kept.id:
        raise ValueError("a record cannot be merged into itself")
    report = MergeReport()
    await _move_rows(session, duplicate.id, kept.id, report, now)
    await _move_owners(session, duplicate, kept, report, actor, now)
    await _fill_card(session, duplicate, kept, report)
    kept.tags = customers.add_tags(duplicate.tags, kept.tags)  # the kept record's win
    contacts = [t for t in (kept.last_contact_at, duplicate.last_contact_at) if t is not None]
    kept.last_contact_at = max(contacts) if contacts else None
    kept.created_at = min(kept.created_at, duplicate.created_at)
    kept.updated_at = now
    session.add(CustomerMerge(from_id=duplicate.id, into_id=kept.id, actor=actor,
                              moved=report.as_json(), at=now))
    await session.delete(duplicate)
    await session.flush()
    return report


async def _move_rows(session: AsyncSession, old: int, new: int, report: MergeReport,
                     now: datetime) -> None:
    """Interviews, answers, contacts, notes, reminders, invites, consents and import
    changes move; an open interview of the same respondent and flow on both: the kept one
    goes on; reminders the planner sets again are cancelled."""
    running = set((await session.execute(select(Interview.respondent_key, Interview.flow_id)
                                         .where(Interview.customer_id == new,
                                                Interview.status == "active"))).all())
    for interview in await session.scalars(select(Interview).where(
            Interview.customer_id == old, Interview.status == "active")):
        if (interview.respondent_key, interview.flow_id) in running:
            interview.status, interview.updated_at = "cancelled", now
            report.stopped += 1
    await session.flush()
    await session.execute(update(Reminder).where(
        Reminder.customer_id == old, Reminder.status == "pending",
        Reminder.kind.in_(REPLANNED)).values(status="cancelled", updated_at=now))
    # the duplicate's warnings end here (the next pass judges the kept record); their
    # history moves with the rest, as do its meetings
    await session.execute(update(DealWarningRow).where(
        DealWarningRow.customer_id == old, DealWarningRow.ended_at.is_(None))
        .values(ended_at=now))
    for name, model in (("interviews", Interview), ("answers", Answer), ("contacts", Contact),
                        ("notes", Note), ("reminders", Reminder), ("invites", Invite),
                        ("consents", Consent), ("meetings", Meeting),
                        ("warnings", DealWarningRow)):
        result = await session.execute(update(model).where(model.customer_id == old)
                                       .values(customer_id=new))
        count = affected.rows(result)
        if count:
            report.moved[name] = count
    await session.execute(update(ImportChange).where(
        ImportChange.entity == "customer", ImportChange.entity_id == old).values(entity_id=new))


async def _move_owners(session: AsyncSession, duplicate: Customer, kept: Customer,
                       report: MergeReport, actor: str, now: datetime) -> None:
    """The duplicate's owner and co-owners keep seeing the customer."""
    old, new = duplicate.id, kept.id
    keep_people = {kept.owner_id, *(u.id for u in await co_owners.of_customer(session, new))}
    wanted = [duplicate.owner_id, *(u.id for u in await co_owners.of_customer(session, old))]
    await session.execute(delete(CoOwner).where(CoOwner.customer_id == old))
    for person in wanted:
        if person is not None and person not in keep_people:
            if kept.owner_id is None:
                kept.owner_id = person
            else:
                await co_owners.add(session, new, person, actor, now)
                report.co_owner = report.co_owner or person
            keep_people.add(person)


async def _fill_card(session: AsyncSession, duplicate: Customer, kept: Customer,
                     report: MergeReport) -> None:
    """Empty card fields are filled from the duplicate; fields filled differently on both
    are listed (the kept record's stay)."""
    credit = duplicate.credit_code
    if credit and not kept.credit_code:
        duplicate.credit_code = None  # unique: free it before the kept record takes it
        await session.flush()
    for card_field in CARD_FIELDS:
        column = CARD_COLUMNS[card_field][1]
        theirs = credit if column == "credit_code" else getattr(duplicate, column)
        ours = getattr(kept, column)
        if not _filled(theirs):
            continue
        if not _filled(ours):
            setattr(kept, column, theirs)
            report.filled.append(card_field)
        elif _folded(ours) != _folded(theirs):
            report.differing.append(card_field)


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _folded(value: Any) -> Any:
    """Equal is equal after folding case, width and spacing."""
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return value
