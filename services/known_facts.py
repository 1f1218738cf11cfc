"""What the card already holds, read as answers for the questions that say
`known: confirm|skip|refine`, when an interview begins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from flows.answer_checks import InvalidAnswer, parse_answer
from flows.model import Flow
from flows.state import InterviewState
from flows.vagueness import vague_reason
from storage import card, customers, interviews
from storage.models import Contact


async def read_known(session: AsyncSession, flow: Flow, state: InterviewState,
                     customer_id: int, respondent_key: str, language: str, today: date,
                     vague_rules: Mapping[str, Sequence[str]]) -> int | None:
    """Into `state.known` (in place). Contact fields come from the contact this respondent
    spoke for last time, never another person's. Returns that contact."""
    wanted = [q for q in flow.questions if q.known != "ask" and q.maps_to]
    if not wanted:
        return None
    customer = await customers.get(session, customer_id)
    contact_id = await interviews.last_contact_of(session, respondent_key, customer_id)
    if contact_id is None and not any(q.maps_to == "contact.name" and q.known == "ask"
                                      for q in flow.questions):
        # a check of the card (verify, clean_up) that does not name its person: the
        # customer's first contact, not a new, empty one
        contact_id = await customers.first_contact_id(session, customer_id)
    contact = await session.get(Contact, contact_id) if contact_id else None
    for question in wanted:
        assert question.maps_to is not None
        record, column = card.CARD_COLUMNS[question.maps_to]
        holder = customer if record == "customer" else contact
        value = getattr(holder, column, None) if holder is not None else None
        if value in (None, ""):
            continue
        raw = value.isoformat() if isinstance(value, date) else str(value)
        try:
            parsed = parse_answer(question, raw, language, today)
        except InvalidAnswer:
            continue  # what the card holds does not fit the question: ask it
        if not parsed.needs_other_text:
            state.known[question.id] = {"value": parsed.value, "other": parsed.other_text}
            if question.known == "refine" and vague_reason(value, vague_rules):
                state.known[question.id]["vague"] = True
    return contact_id
