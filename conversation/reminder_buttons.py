"""The buttons on a reminder: start the debrief or revisit now, snooze, or mark done."""

from __future__ import annotations

from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.reminder_texts import GO_FLOW, say
from services import reminder_actions


async def press(ctx: Ctx, argument: str) -> bool:
    """False when the button is not this person's, or the reminder was already handled."""
    reminder_id, _, action = argument.partition(".")
    if not reminder_id.isdecimal() or ctx.user is None:
        return False
    reminder = await reminder_actions.act(ctx.session, int(reminder_id), action, ctx.user,
                                          ctx.interviews.planner, ctx.now)
    if reminder is None:
        return False
    if action == "ok":
        mark_pressed(ctx, say("done", ctx.lang))
    elif action in reminder_actions.SNOOZE:
        mark_pressed(ctx, say("snooze_day" if action == "1d" else "snooze_week", ctx.lang))
    else:  # "go": the interview it asks for
        assert reminder.customer_id is not None
        mark_pressed(ctx, say(f"start_{GO_FLOW.get(reminder.kind, 'debrief')}", ctx.lang))
        await after_turn(ctx, await ctx.interviews.begin(
            ctx.session, customer_id=reminder.customer_id,
            flow_id=GO_FLOW.get(reminder.kind, ctx.config.debrief_flow),
            respondent=ctx.respondent, language=ctx.lang))
    return True
