"""The brief that comes by itself before a meeting: a line saying which meeting, then the
brief as /brief shows it, as of the moment it is sent (services.meetings plans it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from chat.actions import clip
from conversation.brief_lines import brief_lines
from conversation.meeting_commands import shown_when
from flows.i18n import from_catalog
from services.briefing import read_brief
from services.deal_watch import DealRules
from storage.models import Customer, Reminder

TEXTS = {"header": {"zh": "⏰ {when} 与 {customer} 见面。会前简报：",
                    "en": "⏰ Meeting {customer} {when}. Your brief:"}}


async def brief_message(session: AsyncSession, rules: DealRules, reminder: Reminder,
                        customer: Customer, lang: str, now: datetime) -> str:
    """The brief for the reminder's recipient; reading it is audited as theirs."""
    payload = reminder.payload
    zone = ZoneInfo(str(payload["zone"])) if payload.get("zone") else rules.zone  # the owner's
    reader = f"user:{reminder.recipient_id}" if reminder.recipient_id else "system"
    brief = await read_brief(session, rules, customer, lang, reader=reader, channel="reminder",
                             now=now)
    when = shown_when(datetime.fromisoformat(str(payload["starts_at"])),
                      bool(payload.get("all_day")), zone, lang)
    header = from_catalog(TEXTS, "header", lang, when=when, customer=customer.name)
    return clip("\n".join([header, *brief_lines(brief, rules.flows, lang, zone)]))
