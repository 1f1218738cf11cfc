"""Correcting one field of a customer's card, and dated notes on its timeline, without a
flow (`/edit`, `/note` and their CLI twins).

A value is read by the same parser as an interview answer: the question of a flow that
fills the field (its choices, bounds and types), or, for a field no flow asks, a question
of the field's own type. Audit entries name the field, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.answer_checks import InvalidAnswer, display, parse_answer
from flows.card_fields import CARD_FIELDS, FIELD_LABELS, field_label, field_named
from flows.model import Flow, Question, QuestionType
from services import events
from services.follow_up_planner import FollowUpPlanner
from storage import audit, card
from storage.models import Contact, Customer, Note

# a field no flow asks is read as its own kind of answer
_OWN_TYPE = {QuestionType.PHONE, QuestionType.EMAIL, QuestionType.DATE, QuestionType.INTEGER}
REPLANS = {"customer.grade", "customer.priority"}  # they decide when to revisit and follow up


class EditError(ValueError):
    """The edit cannot be made; the message says why and what is expected."""


@dataclass(frozen=True)
class Edited:
    field: str
    shown: str  # the new value as people read it
    replanned: bool


def field_of(name: str) -> str | None:
    """A card field from what a person types (flows.card_fields.field_named)."""
    field = field_named(name)
    return field if field in CARD_FIELDS else None


def question_for(flows: Mapping[str, Flow], field: str) -> Question:
    """The question that reads a value for `field`: a staff flow's first."""
    for flow in sorted(flows.values(), key=lambda f: f.audience != "rep"):
        for question in flow.questions:
            if question.maps_to == field:
                return question
    kind = next((t for t in CARD_FIELDS[field] if t in _OWN_TYPE), QuestionType.TEXT)
    return Question(id="edit", stage="background", type=kind, text=field, maps_to=field,
                    max_length=2000 if kind == QuestionType.TEXT else None)


async def edit(session: AsyncSession, flows: Mapping[str, Flow], customer: Customer,
               field_name: str, raw: str, *, lang: str, today: date, now: datetime,
               actor: str, channel: str, planner: FollowUpPlanner | None) -> Edited:
    """Set one field, validated; a grade or priority change re-plans the revisit (and the
    pending follow-ups) in the same transaction."""
    field = field_of(field_name)
    if field is None:
        known = ("、" if lang == "zh" else ", ").join(
            field_label(f, lang) for f in CARD_FIELDS if f in FIELD_LABELS)
        raise EditError(f"“{field_name}” is not a field of the card; one of: {known}"
                        if lang == "en" else f"“{field_name}”不是信息卡的字段；可用：{known}")
    question = question_for(flows, field)
    try:
        parsed = parse_answer(question, raw, lang, today)
    except InvalidAnswer as exc:
        raise EditError(f"{field_label(field, lang)}: {exc}") from None
    if parsed.needs_other_text:
        raise EditError(f"{field_label(field, lang)}: "
                        + ("请直接写出内容" if lang == "zh" else "write the value itself"))
    target_contact = None
    if field.startswith("contact."):
        target_contact = await _main_contact(session, customer, now)
    card.set_field(customer, target_contact, field, parsed.value, parsed.other_text, now)
    replanned = False
    if field in REPLANS and planner is not None:
        await planner.set_revisit(session, customer, now)
        if field == "customer.priority":
            await planner.reprioritise(session, customer, now)
        replanned = True
    await audit.append(session, at=now, actor=actor, action="card.edit", entity="customer",
                       entity_id=customer.id, fields=[field], channel=channel)
    events.card_changed(session, customer, {field: parsed.value}, channel, now)
    return Edited(field, display(question, parsed.value, parsed.other_text, lang), replanned)


async def _main_contact(session: AsyncSession, customer: Customer, now: datetime) -> Contact:
    """The contact an edit of a contact field is for: the first one, made if none."""
    contact = await session.scalar(select(Contact).where(Contact.customer_id == customer.id)
                                   .order_by(Contact.id).limit(1))
    if contact is None:
        contact = Contact(customer_id=customer.id, created_at=now, updated_at=now)
        session.add(contact)
        await session.flush()
    return contact


MAX_NOTE = 2000


async def add_note(session: AsyncSession, customer: Customer, text: str, *, author_id: int | None,
                   actor: str, channel: str, now: datetime) -> Note:
    text = text.strip()
    if not text:
        raise EditError("empty note")
    if len(text) > MAX_NOTE:
        raise EditError(f"a note can have at most {MAX_NOTE} characters; this one has "
                        f"{len(text)}")
    note = Note(customer_id=customer.id, author_id=author_id, text=text, created_at=now)
    session.add(note)
    customer.worked_at = now  # the team pool's clock starts again
    await audit.append(session, at=now, actor=actor, action="note.add", entity="customer",
                       entity_id=customer.id, channel=channel)
    return note


async def notes_of(session: AsyncSession, customer_id: int, limit: int = 5) -> list[Note]:
    return list(await session.scalars(select(Note).where(Note.customer_id == customer_id)
                                      .order_by(Note.id.desc()).limit(limit)))
