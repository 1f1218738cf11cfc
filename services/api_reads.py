"""The read API's use cases: customers (a page at a time, searchable as in the bot), a
customer's card, interviews with their answers, reminders and deal warnings. Each reads
only what the token's person may see, and is in the audit trail as a page view is."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import customer_search
from services.access import can_see
from services.api_access import ApiError, Caller
from services.events import plain
from storage import audit, co_owners, customers, reporting
from storage.card import CARD_COLUMNS
from storage.models import Answer, Customer, DealWarningRow, Interview, Reminder

MAX_LIMIT = 500
GRADES = ("A", "B", "C", "D", "E")
CHANNEL = "api"


def cursor_of(customer_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{customer_id}".encode()).decode().rstrip("=")


def after_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("c") and text[1:].isdecimal():
            return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "bad_cursor", "cursor: pass back the next_cursor of the page before, "
                                      "as it was given")


def limit_of(raw: str | None) -> int:
    if raw is None or raw == "":
        return 100
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "bad_limit", f"limit: a whole number from 1 to {MAX_LIMIT}, "
                                         f"not {raw!r}")
    return int(raw)


def summary(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "grade": c.grade, "priority": c.priority,
            "owner_id": c.owner_id, "industry": c.industry, "tags": list(c.tags or []),
            "last_contact_at": plain(c.last_contact_at),
            "revisit_due_on": plain(c.revisit_due_on), "closed_at": plain(c.closed_at),
            "updated_at": plain(c.updated_at)}


async def _read(session: AsyncSession, caller: Caller, now: datetime, what: str,
                customer_id: int | None = None, outcome: str = "ok") -> None:
    await audit.append(session, at=now, actor=caller.actor,
                       action="card.read" if customer_id else "api.read",
                       entity="customer" if customer_id else "api",
                       entity_id=customer_id if customer_id else what, fields=[what],
                       channel=CHANNEL, outcome=outcome)


async def customer_page(session: AsyncSession, caller: Caller, *, query: str = "",
                        grade: str = "", cursor: str | None = None, limit: int = 100,
                        now: datetime) -> dict[str, Any]:
    """Customers in id order from the cursor on: a walk sees each once, and customers added
    meanwhile at its end."""
    after = after_cursor(cursor)
    if grade and grade not in GRADES:
        raise ApiError(400, "bad_grade", f"grade: one of {', '.join(GRADES)}, not {grade!r}")
    owners = await reporting.visible_owner_ids(session, caller.user)
    statement = select(Customer).where(Customer.id > after)
    if query.strip():
        found = [c.id for c in await customer_search.search(session, query[:100])]
        statement = statement.where(Customer.id.in_(found))
    if grade:
        statement = statement.where(Customer.grade == grade)
    rows = list((await session.scalars(reporting.scoped(statement, owners)
                                       .order_by(Customer.id).limit(limit + 1))).all())
    await _read(session, caller, now, "customers")
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [summary(c) for c in rows],
            "next_cursor": cursor_of(rows[-1].id) if more else None}


async def _visible(session: AsyncSession, caller: Caller, customer_id: int, what: str,
                   now: datetime) -> Customer:
    found = await customers.get(session, customer_id) if customer_id < 2**63 else None
    if found is None:
        raise ApiError(404, "not_found", f"no customer #{customer_id}")
    if not await can_see(session, caller.user, found):
        await _read(session, caller, now, what, found.id, outcome="refused")
        raise ApiError(403, "not_yours", f"customer #{customer_id} is not among those this "
                                         "token's person may see")
    await _read(session, caller, now, what, found.id)
    return found


async def card(session: AsyncSession, caller: Caller, customer_id: int,
               now: datetime) -> dict[str, Any]:
    customer = await _visible(session, caller, customer_id, "card", now)
    fields = {name: plain(getattr(customer, column))
              for name, (record, column) in CARD_COLUMNS.items() if record == "customer"}
    contacts = [{"id": p.id, **{name.split(".", 1)[1]: plain(getattr(p, column))
                                for name, (record, column) in CARD_COLUMNS.items()
                                if record == "contact"}}
                for p in await customers.contacts_of(session, customer.id)]
    others = [u.id for u in await co_owners.of_customer(session, customer.id)]
    return {**summary(customer), "co_owner_ids": others, "card": fields, "contacts": contacts}


async def interviews(session: AsyncSession, caller: Caller, customer_id: int,
                     now: datetime) -> dict[str, Any]:
    customer = await _visible(session, caller, customer_id, "interviews", now)
    rows = list((await session.scalars(select(Interview).where(
        Interview.customer_id == customer.id).order_by(Interview.id))).all())
    answers: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for a in await session.scalars(select(Answer).where(
            Answer.customer_id == customer.id, Answer.superseded_at.is_(None))
            .order_by(Answer.id)):
        item = {"question_id": a.question_id, "value": a.value, "other": a.other_text,
                "answered_at": plain(a.answered_at), "maps_to": a.maps_to}
        answers.setdefault(a.interview_id, {}).setdefault(a.stage, []).append(item)
    return {"data": [{"id": i.id, "flow_id": i.flow_id, "flow_version": i.flow_version,
                      "status": i.status, "language": i.language,
                      "respondent": "staff" if i.respondent_user_id else "customer",
                      "started_at": plain(i.started_at),
                      "completed_at": plain(i.completed_at),
                      "answers": answers.get(i.id, {})} for i in rows]}


async def customer_reminders(session: AsyncSession, caller: Caller, customer_id: int,
                             now: datetime) -> dict[str, Any]:
    customer = await _visible(session, caller, customer_id, "reminders", now)
    rows = await session.scalars(select(Reminder).where(
        Reminder.customer_id == customer.id, Reminder.status == "pending")
        .order_by(Reminder.due_at, Reminder.id))
    return {"data": [{"id": r.id, "kind": r.kind, "due_at": plain(r.due_at),
                      "recipient_id": r.recipient_id} for r in rows]}


async def warnings(session: AsyncSession, caller: Caller, customer_id: int,
                   now: datetime) -> dict[str, Any]:
    customer = await _visible(session, caller, customer_id, "warnings", now)
    rows = await session.scalars(select(DealWarningRow).where(
        DealWarningRow.customer_id == customer.id, DealWarningRow.ended_at.is_(None))
        .order_by(DealWarningRow.id))
    return {"data": [{"kind": w.kind, "days": w.days, "count": w.count,
                      "began_at": plain(w.began_at)} for w in rows]}
