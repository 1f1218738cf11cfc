"""/today and /week: what a rep has to do, overdue first: follow-ups, revisits, birthdays,
key-account contacts, quarterly checks and clean-ups, a manager's own revisits (the
reminders addressed to them that are not done), the debriefs they left unfinished, and the
deal warnings on one's own customers. Each item comes with its buttons (start, snooze, done;
continue). A manager sees the team's, grouped by rep; an admin everyone's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from chat.actions import Button, Send, clip
from conversation import reminder_texts
from conversation.brief_lines import warning_line
from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.texts import say
from services import agenda as agenda_data
from storage import interviews
from storage.models import Customer, Reminder

WITH_BUTTONS = 8  # items that get a message of their own, with buttons; the rest are listed
ICONS = {"follow_up": "⏰", "revisit": "📅", "birthday": "🎂", "escalation": "⚠️",
         "contact_due": "👤", "manager_revisit": "🏅", "celebration": "🎉", "verify": "🔎",
         "clean_up": "🧹"}


async def agenda(ctx: Ctx, days: int) -> None:
    assert ctx.user is not None
    zone = ZoneInfo(ctx.user.timezone) if ctx.user.timezone else ctx.interviews.zone
    start = datetime.combine(ctx.today, time(), zone)
    found = await agenda_data.agenda(ctx.session, ctx.user, start + timedelta(days=days))
    if not found.due and not found.unfinished and not found.warnings:
        ctx.actions.append(Send(ctx.chat_id, say("agenda_empty", ctx.lang)))
        return
    lines = [say("today_title" if days == 1 else "week_title", ctx.lang,
                 count=len(found.due) + len(found.unfinished))]
    if found.warnings:
        lines.append(say("agenda_warnings", ctx.lang, count=len(found.warnings)))
        lines += [f"• {customer.name}: {warning_line(row, ctx.lang)}"
                  for row, customer in found.warnings]
    items: list[tuple[str, tuple[tuple[Button, ...], ...]]] = []
    for user in found.people:
        mine = [r for r in found.due if r.recipient_id == user.id]
        unfinished = [i for i in found.unfinished if i.respondent_user_id == user.id]
        if not mine and not unfinished:
            continue
        if len(found.people) > 1:
            lines.append(f"\n👤 {user.name}")
        own = user.id == ctx.user.id  # buttons only on one's own items
        for reminder in mine:  # overdue (due before today) first: the query is by due time
            line = _reminder_line(ctx, reminder, found.customers, start, zone)
            lines.append(line)
            if own:
                items.append((line, reminder_texts.buttons(reminder.id, reminder.kind,
                                                           ctx.lang)))
        for interview in unfinished:
            customer = found.customers.get(interview.customer_id)
            line = say("agenda_open", ctx.lang, customer=customer.name if customer else "—",
                       day=interview.updated_at.astimezone(zone).date().isoformat())
            lines.append(line)
            if own:
                items.append((line, ((Button(say("continue_button", ctx.lang),
                                             f"cont:{interview.id}"),),)))
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(lines))))
    for line, buttons in items[:WITH_BUTTONS]:
        ctx.actions.append(Send(ctx.chat_id, line, buttons))


def _reminder_line(ctx: Ctx, reminder: Reminder, customers: dict[int, Customer],
                   start: datetime, zone: ZoneInfo) -> str:
    customer = customers.get(reminder.customer_id or 0)
    return say("agenda_line", ctx.lang, icon=ICONS.get(reminder.kind, "•"),
               what=say(f"agenda_{reminder.kind}", ctx.lang),
               customer=customer.name if customer else "—",
               day=reminder.due_at.astimezone(zone).date().isoformat(),
               late=say("agenda_overdue", ctx.lang) if reminder.due_at < start else "")


async def continue_interview(ctx: Ctx, argument: str) -> bool:
    """The "continue" button of an unfinished interview in /today."""
    interview = await interviews.lock(ctx.session, int(argument)) if argument.isdecimal() \
        else None
    if (interview is None or interview.status != "active"
            or interview.respondent_key != ctx.respondent.key):
        return False
    mark_pressed(ctx, None)
    await after_turn(ctx, await ctx.interviews.show(ctx.session, interview.id, ctx.lang))
    return True
