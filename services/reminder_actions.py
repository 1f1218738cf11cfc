"""What a person does with a reminder sent to them, from any door: mark it done, snooze it
for a day or a week (outside their quiet hours), or take it up (done, and the caller starts
the interview it asks for)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.follow_up_planner import FollowUpPlanner
from storage import customers, reminders
from storage.models import Reminder, User

SNOOZE = {"1d": timedelta(days=1), "7d": timedelta(days=7)}
ACTIONS = ("ok", "go", *SNOOZE)


async def act(session: AsyncSession, reminder_id: int, action: str, user: User,
              planner: FollowUpPlanner | None, now: datetime) -> Reminder | None:
    """The reminder, handled; None when it is not this person's, was handled already, or
    the action does not fit it (taking up a reminder about no customer)."""
    reminder = await session.get(Reminder, reminder_id)
    # "pending" too: the message can be pressed before its sending has been recorded
    if (reminder is None or reminder.recipient_id != user.id
            or reminder.status not in ("sent", "pending") or action not in ACTIONS
            or (action == "go" and reminder.customer_id is None)):
        return None
    if action in SNOOZE:
        due = now + SNOOZE[action]
        if planner is not None:
            due = planner.deliverable(due, user)
        await reminders.schedule(
            session, kind=reminder.kind, dedupe_key=f"snooze:{reminder.id}:{action}",
            due_at=due, now=now, customer_id=reminder.customer_id,
            recipient_id=reminder.recipient_id, recipient_chat=reminder.recipient_chat,
            payload=reminder.payload)
    reminder.status = "snoozed" if action in SNOOZE else "done"
    reminder.updated_at = now
    if reminder.status == "done" and reminder.kind == "follow_up":  # a snooze is not work
        await customers.worked_on(session, reminder.customer_id, now)
    return reminder
