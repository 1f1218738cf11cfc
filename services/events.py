"""Events for other systems (webhooks): what each use case tells the outbox, in the
transaction of its change. The catalogue is `KINDS`; README "Connecting other systems"
shows a payload of each.

Each event has `data`, sent to every endpoint subscribed, and `personal`: what is about
a person (the card's contact fields, the answers that fill them), sent only to endpoints
an admin marked for personal data. Everything else a customer told us is business data
about the company and goes to all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows.model import Flow
from flows.state import InterviewState
from storage import outbox
from storage.models import Customer, Interview

KINDS = ("interview.completed", "card.changed", "customer.created", "customer.merged",
         "reminder.overdue", "consent.withdrawn", "customer.erased")
PERSONAL_PREFIX = "contact."


def plain(value: Any) -> Any:
    """A value as JSON holds it: dates and times in ISO 8601, inside lists and dicts too."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def customer_ref(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "name": customer.name, "grade": customer.grade,
            "owner_id": customer.owner_id}


def _fields(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Card fields split into (business, personal)."""
    business = {k: plain(v) for k, v in values.items() if not k.startswith(PERSONAL_PREFIX)}
    personal = {k: plain(v) for k, v in values.items() if k.startswith(PERSONAL_PREFIX)}
    return business, personal


def interview_completed(session: AsyncSession, interview: Interview, customer: Customer,
                        flow: Flow, state: InterviewState, set_fields: Mapping[str, Any],
                        now: datetime) -> None:
    """The answers by SPIN stage and the card fields the interview changed."""
    answers: dict[str, list[dict[str, Any]]] = {}
    private: dict[str, list[dict[str, Any]]] = {}
    changed: dict[str, Any] = {}
    for question in flow.questions:
        if question.id not in state.answers or state.answers[question.id] is None:
            continue
        value = state.answers[question.id]
        item: dict[str, Any] = {"question_id": question.id, "value": plain(value)}
        if question.id in state.other:
            item["other"] = state.other[question.id]
        about_a_person = bool(question.maps_to
                              and question.maps_to.startswith(PERSONAL_PREFIX))
        (private if about_a_person else answers).setdefault(question.stage.value, []).append(item)
        if question.maps_to:
            changed[question.maps_to] = value
    changed.update(set_fields)
    card, card_personal = _fields(changed)
    data = {"interview": {"id": interview.id, "flow_id": flow.id,
                          "flow_version": str(flow.version), "language": interview.language,
                          "respondent": "staff" if interview.respondent_user_id else "customer",
                          "started_at": interview.started_at.isoformat(),
                          "completed_at": now.isoformat()},
            "customer": customer_ref(customer), "answers": answers, "card": card,
            "tags": list(customer.tags or [])}
    personal = {k: v for k, v in (("answers", private), ("card", card_personal)) if v}
    outbox.add(session, kind="interview.completed", customer_id=customer.id, data=data,
               personal=personal, now=now)


def card_changed(session: AsyncSession, customer: Customer, values: Mapping[str, Any],
                 source: str, now: datetime) -> None:
    """Fields set outside an interview (an edit, a correction after finishing)."""
    card, card_personal = _fields(values)
    outbox.add(session, kind="card.changed", customer_id=customer.id,
               data={"customer": customer_ref(customer), "card": card, "source": source,
                     "fields": sorted(values)},
               personal={"card": card_personal} if card_personal else None, now=now)


def customer_created(session: AsyncSession, customer: Customer, source: str,
                     now: datetime) -> None:
    outbox.add(session, kind="customer.created", customer_id=customer.id,
               data={"customer": customer_ref(customer), "source": source}, personal=None,
               now=now)


def customer_merged(session: AsyncSession, duplicate_id: int, kept: Customer,
                    moved: Mapping[str, int], now: datetime) -> None:
    """The duplicate is gone; receivers should fold their copy into `into`."""
    outbox.add(session, kind="customer.merged", customer_id=kept.id,
               data={"from_id": duplicate_id, "into": customer_ref(kept),
                     "moved": dict(moved)}, personal=None, now=now)


def consent_withdrawn(session: AsyncSession, customer_ids: list[int], now: datetime) -> None:
    """A person withdrew consent: receivers delete what they hold about the people who
    answered for these customers."""
    for customer_id in customer_ids:
        outbox.add(session, kind="consent.withdrawn", customer_id=customer_id,
                   data={"customer_id": customer_id, "delete_personal_data": True,
                         "withdrawn_at": now.isoformat()}, personal=None, now=now)


async def customer_erased(session: AsyncSession, customer_id: int, now: datetime) -> None:
    """The customer's personal data is gone here: so are the events about them not yet
    delivered, and receivers are told to delete their copy."""
    await outbox.forget_customer(session, customer_id)
    outbox.add(session, kind="customer.erased", customer_id=customer_id,
               data={"customer_id": customer_id, "delete_personal_data": True,
                     "erased_at": now.isoformat()}, personal=None, now=now)


async def reminder_overdue(session: AsyncSession, reminder_id: int, customer_id: int,
                           payload: Mapping[str, Any], owner_id: int | None,
                           now: datetime) -> None:
    """An overdue revisit, as its owner is pinged about it: once per ping, however often
    the ping is tried."""
    await outbox.add_once(
        session, event_id=f"evt_overdue_{reminder_id}", kind="reminder.overdue",
        customer_id=customer_id,
        data={"customer_id": customer_id, "owner_id": owner_id,
              "due_on": payload.get("due_on"), "days_overdue": payload.get("days")}, now=now)
