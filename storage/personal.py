"""Everything held about a customer: handed out on request, erased on request, and
purged when a closed customer's retention period is over. The audit trail keeps its
entries (they name records, never their contents)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, affected, audit
from storage.models import (
    Account,
    Answer,
    AuditEntry,
    Consent,
    Contact,
    Customer,
    InboxUpdate,
    Interview,
    Invite,
    Note,
    Reminder,
)

CUSTOMER_FIELDS = ("name", "credit_code", "industry", "employees", "revenue_band", "address",
                   "website", "grade", "priority", "tags", "need_type", "need_description",
                   "budget", "timeline", "decision_process", "competitors", "next_step",
                   "next_contact", "last_contact_at", "revisit_due_on", "closed_at",
                   "created_at", "updated_at")
CONTACT_FIELDS = ("id", "name", "title", "department", "phone", "email", "messenger_id",
                  "decision_role", "birthday", "notes", "created_at", "updated_at")


def _row(obj: object, fields: Sequence[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


async def _respondents(session: AsyncSession, customer_id: int) -> set[int]:
    """Account addresses of the customer's own people (who answered or opened an invite)."""
    ids = set(await session.scalars(select(Invite.telegram_id).where(
        Invite.customer_id == customer_id, Invite.telegram_id.is_not(None))))
    ids |= set(await session.scalars(select(Consent.telegram_id).where(
        Consent.customer_id == customer_id)))
    keys = await session.scalars(select(Interview.respondent_key).where(
        Interview.customer_id == customer_id, Interview.respondent_user_id.is_(None)))
    ids |= {i for i in map(accounts.address_in, keys) if i is not None}
    return {i for i in ids if i is not None}


async def export_personal(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    """Everything held about the customer and its people, decrypted, as JSON-ready data."""
    interviews = list(await session.scalars(
        select(Interview).where(Interview.customer_id == customer.id).order_by(Interview.id)))
    answers = list(await session.scalars(
        select(Answer).where(Answer.customer_id == customer.id).order_by(Answer.id)))
    people = await _respondents(session, customer.id)
    return {
        "customer": {"id": customer.id, **_row(customer, CUSTOMER_FIELDS)},
        "contacts": [_row(c, CONTACT_FIELDS) for c in await session.scalars(
            select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id))],
        "notes": [{"at": n.created_at, "text": n.text} for n in await session.scalars(
            select(Note).where(Note.customer_id == customer.id).order_by(Note.id))],
        "interviews": [{
            "id": i.id, "flow": i.flow_id, "status": i.status, "language": i.language,
            "answered_by": "customer" if i.respondent_user_id is None else "staff",
            "started_at": i.started_at, "completed_at": i.completed_at,
            "answers": [{"question": a.question_id, "value": a.value, "typed": a.raw_text,
                         "other": a.other_text, "answered_at": a.answered_at,
                         "superseded_at": a.superseded_at}
                        for a in answers if a.interview_id == i.id]} for i in interviews],
        "consents": [{"telegram_id": c.telegram_id, "decision": c.decision,
                      "text_version": c.text_version, "decided_at": c.decided_at}
                     for c in await session.scalars(select(Consent).where(
                         Consent.customer_id == customer.id).order_by(Consent.id))],
        "invites": [{"id": v.id, "flow": v.flow_id, "created_at": v.created_at,
                     "expires_at": v.expires_at, "opened_at": v.opened_at,
                     "telegram_id": v.telegram_id, "revoked_at": v.revoked_at}
                    for v in await session.scalars(select(Invite).where(
                        Invite.customer_id == customer.id).order_by(Invite.id))],
        "reminders": [{"kind": r.kind, "due_at": r.due_at, "status": r.status}
                      for r in await session.scalars(select(Reminder).where(
                          Reminder.customer_id == customer.id).order_by(Reminder.id))],
        "accounts": [{"channel": a.channel, "id": a.external_id, "language": a.language}
                     for a in await session.scalars(select(Account).where(
                         Account.address.in_(people), Account.user_id.is_(None)))],
        "audit": await _described(session, await audit.entries(
            session, customer_id=customer.id, limit=10_000)),
    }


async def _described(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[str]:
    """Audit lines for an export: a staff member by name (and id), the channel beside."""
    names = await accounts.staff_named(session, {e.actor for e in entries})
    return [audit.describe(e, names[e.actor].name if e.actor in names else None)
            for e in entries]


async def export_contact(session: AsyncSession, contact: Contact) -> dict[str, Any]:
    """Everything held about one person: their contact record and what the interviews
    linked to them recorded about them."""
    interviews = list(await session.scalars(
        select(Interview).where(Interview.contact_id == contact.id).order_by(Interview.id)))
    answers = list(await session.scalars(
        select(Answer).where(Answer.interview_id.in_([i.id for i in interviews]),
                             Answer.maps_to.like("contact.%")).order_by(Answer.id)))
    customer = await session.get(Customer, contact.customer_id)
    return {
        "contact": _row(contact, CONTACT_FIELDS),
        "customer": {"id": contact.customer_id, "name": customer.name if customer else None},
        "recorded_in_interviews": [{"interview": a.interview_id, "field": a.maps_to,
                                    "value": a.value, "typed": a.raw_text,
                                    "answered_at": a.answered_at} for a in answers],
        "audit": await _described(session, list(await session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "contact",
                                     AuditEntry.entity_id == str(contact.id))
            .order_by(AuditEntry.id)))),
    }


async def erase_contact(session: AsyncSession, contact: Contact, *, actor: str, channel: str,
                        now: datetime) -> dict[str, int]:
    """Remove one person: their contact record and the answers that described them."""
    interview_ids = [i for i in await session.scalars(
        select(Interview.id).where(Interview.contact_id == contact.id))]
    counts = {"answers": await _delete(session, delete(Answer).where(
        Answer.interview_id.in_(interview_ids), Answer.maps_to.like("contact.%")))}
    await session.execute(update(Interview).where(Interview.contact_id == contact.id)
                          .values(contact_id=None))
    counts["contacts"] = await _delete(session, delete(Contact).where(Contact.id == contact.id))
    await audit.append(session, at=now, actor=actor, action="contact.erase", entity="contact",
                       entity_id=contact.id, fields=["contact"], channel=channel)
    return counts


async def erase(session: AsyncSession, customer: Customer, *, actor: str, channel: str,
                now: datetime) -> dict[str, int]:
    """Remove the customer's personal data and anonymise the record itself (its id stays,
    so the audit trail and reports still add up). Returns what was removed."""
    people = await _respondents(session, customer.id)
    interview_ids = select(Interview.id).where(Interview.customer_id == customer.id)
    counts = {
        "answers": await _delete(session, delete(Answer).where(
            Answer.customer_id == customer.id)),
        "reminders": await _delete(session, delete(Reminder).where(or_(
            Reminder.customer_id == customer.id, Reminder.recipient_chat.in_(people)))),
        "consents": await _delete(session, delete(Consent).where(
            Consent.customer_id == customer.id)),
    }
    await session.execute(update(Invite).where(Invite.customer_id == customer.id)
                          .values(interview_id=None))
    counts["invites"] = await _delete(session, delete(Invite).where(
        Invite.customer_id == customer.id))
    counts["interviews"] = await _delete(session, delete(Interview).where(
        Interview.id.in_(interview_ids)))
    counts["contacts"] = await _delete(session, delete(Contact).where(
        Contact.customer_id == customer.id))
    counts["notes"] = await _delete(session, delete(Note).where(Note.customer_id == customer.id))
    if people:  # what those people sent the bot, and their accounts
        counts["inbox"] = await _delete(session, delete(InboxUpdate).where(
            InboxUpdate.chat_id.in_(people)))
        counts["accounts"] = await _delete(session, delete(Account).where(
            Account.address.in_(people), Account.user_id.is_(None)))
    for name in CUSTOMER_FIELDS:
        if name not in ("created_at", "updated_at", "closed_at"):
            setattr(customer, name, [] if name == "tags" else None)
    customer.name = customer.name_key = f"erased #{customer.id}"
    customer.search_key = None
    customer.closed_at = customer.closed_at or now
    customer.updated_at = now
    await audit.append(session, at=now, actor=actor, action="customer.erase",
                       entity="customer", entity_id=customer.id,
                       fields=sorted(k for k, v in counts.items() if v), channel=channel)
    return counts


async def _delete(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement)
    return affected.rows(result)


def expired(months: int, now: datetime) -> Select[Any]:
    """Finished interviews of customers closed more than `months` ago."""
    cutoff = _months_before(now, months)
    return (select(Interview).join(Customer, Interview.customer_id == Customer.id)
            .where(Customer.closed_at.is_not(None), Customer.closed_at < cutoff,
                   Interview.status != "active"))


async def purge_expired(session: AsyncSession, months: int, now: datetime) -> int:
    """The retention rule: drop those interviews and their answers. Returns how many."""
    doomed: list[Interview] = list(await session.scalars(expired(months, now)))
    if not doomed:
        return 0
    ids = [i.id for i in doomed]
    await session.execute(delete(Answer).where(Answer.interview_id.in_(ids)))
    await session.execute(update(Invite).where(Invite.interview_id.in_(ids))
                          .values(interview_id=None))
    await session.execute(delete(Interview).where(Interview.id.in_(ids)))
    for customer_id in sorted({i.customer_id for i in doomed}):
        await audit.append(session, at=now, actor="retention", action="interview.purge",
                           entity="customer", entity_id=customer_id, channel="system")
    return len(ids)


def _months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    day = min(moment.day, 28)
    return moment.replace(year=moment.year + year, month=month + 1, day=day)
