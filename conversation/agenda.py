"""/today and /week: what a rep has to do, overdue first: follow-ups, revisits, birthdays,
key-account contacts, quarterly checks and clean-ups, a manager's own revisits (the
reminders addressed to them that are not done) and the debriefs they left
unfinished. Each item comes with its buttons (start, snooze, done; continue). A manager
sees the team's, grouped by rep; an admin everyone's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chat.actions import Button, Send, clip
from conversation import reminder_texts
from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.permissions import team_ids
from conversation.texts import say
from storage.models import Customer, Interview, Reminder, User

KINDS = ("follow_up", "revisit", "birthday", "escalation", "contact_due", "manager_revisit",
         "celebration", "verify", "clean_up")
WITH_BUTTONS = 8  # items that get a message of their own, with buttons; the rest are listed
ICONS = {"follow_up": "⏰", "revisit": "📅", "birthday": "🎂", "escalation": "⚠️",
         "contact_due": "👤", "manager_revisit": "🏅", "celebration": "🎉", "verify": "🔎",
         "clean_up": "🧹"}


async def agenda(ctx: Ctx, days: int) -> None:
    assert ctx.user is not None
    zone = ZoneInfo(ctx.user.timezone) if ctx.user.timezone else ctx.interviews.zone
    start = datetime.combine(ctx.today, time(), zone)
    end = start + timedelta(days=days)
    people = await _people(ctx)
    names = {u.id: u.name for u in people}
    due = list(await ctx.session.scalars(
        select(Reminder).where(Reminder.recipient_id.in_(names), Reminder.kind.in_(KINDS),
                               Reminder.status.in_(("pending", "sent")),
                               Reminder.due_at < end)
        .order_by(Reminder.due_at).limit(200)))
    open_ = list(await ctx.session.scalars(
        select(Interview).where(Interview.status == "active",
                                Interview.respondent_user_id.in_(names))
        .order_by(Interview.updated_at).limit(50)))
    customers = {c.id: c for c in await ctx.session.scalars(select(Customer).where(
        Customer.id.in_({r.customer_id for r in due} | {i.customer_id for i in open_})))}
    title = say("today_title" if days == 1 else "week_title", ctx.lang,
                count=len(due) + len(open_))
    if not due and not open_:
        ctx.actions.append(Send(ctx.chat_id, say("agenda_empty", ctx.lang)))
        return
    lines = [title]
    items: list[tuple[str, tuple[tuple[Button, ...], ...]]] = []
    for user in people:
        mine = [r for r in due if r.recipient_id == user.id]
        unfinished = [i for i in open_ if i.respondent_user_id == user.id]
        if not mine and not unfinished:
            continue
        if len(people) > 1:
            lines.append(f"\n👤 {user.name}")
        for reminder in mine:  # overdue (due before today) first: the query is by due time
            late = reminder.due_at < start
            customer = customers.get(reminder.customer_id or 0)
            line = say("agenda_line", ctx.lang, icon=ICONS.get(reminder.kind, "•"),
                       what=say(f"agenda_{reminder.kind}", ctx.lang),
                       customer=customer.name if customer else "—",
                       day=reminder.due_at.astimezone(zone).date().isoformat(),
                       late=say("agenda_overdue", ctx.lang) if late else "")
            lines.append(line)
            if user.id == ctx.user.id:
                items.append((line, reminder_texts.buttons(reminder.id, reminder.kind,
                                                           ctx.lang)))
        for interview in unfinished:
            customer = customers.get(interview.customer_id)
            line = say("agenda_open", ctx.lang, customer=customer.name if customer else "—",
                       day=interview.updated_at.astimezone(zone).date().isoformat())
            lines.append(line)
            if user.id == ctx.user.id:
                items.append((line, ((Button(say("continue_button", ctx.lang),
                                             f"cont:{interview.id}"),),)))
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(lines))))
    for line, buttons in items[:WITH_BUTTONS]:
        ctx.actions.append(Send(ctx.chat_id, line, buttons))


async def _people(ctx: Ctx) -> list[User]:
    """Whose agenda the sender sees: their own, their team's, or everyone's."""
    assert ctx.user is not None
    query = select(User).where(User.active.is_(True)).order_by(User.name)
    if ctx.user.role == "manager":
        query = query.where(User.id.in_(await team_ids(ctx.session, ctx.user)))
    elif ctx.user.role != "admin":
        return [ctx.user]
    me = ctx.user.id
    return sorted(await ctx.session.scalars(query), key=lambda u: u.id != me)  # self first


async def continue_interview(ctx: Ctx, argument: str) -> bool:
    """The "continue" button of an unfinished interview in /today."""
    interview = await ctx.session.get(Interview, int(argument)) if argument.isdecimal() \
        else None
    if (interview is None or interview.status != "active"
            or interview.respondent_key != ctx.respondent.key):
        return False
    mark_pressed(ctx, None)
    await after_turn(ctx, await ctx.interviews.show(ctx.session, interview.id, ctx.lang))
    return True
