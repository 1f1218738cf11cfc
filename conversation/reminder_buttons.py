"""The buttons on a reminder: start the debrief or revisit now, snooze, or mark done."""

from __future__ import annotations

from datetime import timedelta

from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.reminder_texts import GO_FLOW, say
from storage import reminders
from storage.models import Reminder

SNOOZE = {"1d": timedelta(days=1), "7d": timedelta(days=7)}


async def press(ctx: Ctx, argument: str) -> bool:
    """False when the button is not this person's, or the reminder was already handled."""
    reminder_id, _, action = argument.partition(".")
    known = reminder_id.isdecimal()
    reminder = await ctx.session.get(Reminder, int(reminder_id)) if known else None
    # "pending" too: the message can be pressed before its sending has been recorded
    if (reminder is None or ctx.user is None or reminder.recipient_id != ctx.user.id
            or reminder.status not in ("sent", "pending")):
        return False
    if action == "ok":
        reminder.status = "done"
        mark_pressed(ctx, say("done", ctx.lang))
    elif action in SNOOZE:
        planner = ctx.interviews.planner
        due = ctx.now + SNOOZE[action]
        if planner is not None:
            due = planner.deliverable(due, ctx.user)
        await reminders.schedule(
            ctx.session, kind=reminder.kind, dedupe_key=f"snooze:{reminder.id}:{action}",
            due_at=due, now=ctx.now, customer_id=reminder.customer_id,
            recipient_id=reminder.recipient_id, recipient_chat=reminder.recipient_chat,
            payload=reminder.payload)
        reminder.status = "snoozed"
        mark_pressed(ctx, say("snooze_day" if action == "1d" else "snooze_week", ctx.lang))
    elif action == "go" and reminder.customer_id is not None:
        flow = GO_FLOW.get(reminder.kind, ctx.config.debrief_flow)
        reminder.status = "done"
        mark_pressed(ctx, say(f"start_{GO_FLOW.get(reminder.kind, 'debrief')}", ctx.lang))
        await after_turn(ctx, await ctx.interviews.begin(
            ctx.session, customer_id=reminder.customer_id, flow_id=flow,
            respondent=ctx.respondent, language=ctx.lang))
    else:
        return False
    reminder.updated_at = ctx.now
    return True
