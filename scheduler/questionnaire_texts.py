"""What a rep is told when a customer finished or corrected a questionnaire on the web (the
same words the bot uses in chat), as the dispatcher sends it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversation.interview_replies import corrected_text as told_corrected
from conversation.interview_replies import rep_summary
from conversation.texts import say as chat_say
from flows.model import Flow
from storage import answers
from storage.models import Customer, Interview, Reminder


async def done_text(session: AsyncSession, flows: Mapping[str, Flow], reminder: Reminder,
                    customer: Customer | None, lang: str) -> str:
    """A questionnaire finished on the web: the summary, as the bot tells it."""
    interview = await session.get(Interview, reminder.payload.get("interview_id"))
    flow = flows.get(interview.flow_id) if interview is not None else None
    if interview is None or flow is None:
        return chat_say("rep_notified", lang, customer=customer.name if customer else "",
                        flow="", summary="")
    return rep_summary(flow, interview, customer.name if customer else "", lang)[:4000]

async def corrected_text(session: AsyncSession, flows: Mapping[str, Flow], reminder: Reminder,
                         customer: Customer | None, lang: str) -> str:
    """A customer corrected an answer of a finished questionnaire: was, and now."""
    payload = reminder.payload
    interview = await session.get(Interview, payload.get("interview_id"))
    flow = flows.get(interview.flow_id) if interview is not None else None
    question_id = str(payload.get("question_id", ""))
    if interview is None or flow is None or question_id not in {
            q.id for q in flow.questions}:
        return chat_say("rep_notified", lang, customer=customer.name if customer else "",
                        flow="", summary="")
    before, after = await answers.before_and_after(
        session, interview.id, question_id, datetime.fromisoformat(payload["at"]))
    return told_corrected(flow, interview, customer.name if customer else "", question_id,
                          before, after, lang)[:4000]

