"""At most one follow-up per customer, person and day (issue 24): when an interview asks for
several (a priority's "in 3 days" and the day agreed with the customer), and after two
records were merged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.steps import FollowUpPlan
from scheduler.timing import MORNING, add_duration, at_local
from storage.models import Reminder


def one_a_day(plans: Sequence[FollowUpPlan], now: datetime, zone: ZoneInfo,
              place: Callable[[datetime], datetime]) -> list[tuple[int, FollowUpPlan, datetime]]:
    """The follow-ups an interview asked for, at most one per local day: a dated one (the
    day agreed with the customer, at 09:00) wins over a rule's "in 3 days". The rule gives
    the day, working hours the time: the time of day it was counted from when that is
    outside quiet hours (`place`), else 09:00 that day — a debrief at 22:30 must not make
    "in 3 days" ring on the fourth."""
    chosen: dict[date, tuple[int, FollowUpPlan, datetime]] = {}
    for index, plan in enumerate(plans):
        if plan.on is not None:
            due = place(at_local(date.fromisoformat(plan.on), MORNING, zone))
        elif plan.after is not None:
            counted = add_duration(now, plan.after, zone)
            due = place(counted)
            if due.astimezone(zone).date() != counted.astimezone(zone).date():
                due = place(at_local(counted.astimezone(zone).date(), MORNING, zone))
        else:
            continue
        day = due.astimezone(zone).date()
        if day not in chosen or (plan.on is not None and chosen[day][1].on is None):
            chosen[day] = (index, plan, due)
    return sorted(chosen.values(), key=lambda item: item[0])


def cancel_second_ones(pending: Sequence[Reminder], zone_of: Callable[[Reminder], ZoneInfo],
                       now: datetime) -> int:
    """Of pending follow-ups (newest first), keep one per person and local day: the dated
    one (a day the rep agreed with the customer), else the newest. Returns how many gave
    way."""
    seen: set[tuple[int | None, date]] = set()
    dropped = 0
    for reminder in sorted(pending, key=lambda r: not (r.payload or {}).get("dated")):
        day = (reminder.recipient_id, reminder.due_at.astimezone(zone_of(reminder)).date())
        if day in seen:
            reminder.status, reminder.updated_at = "cancelled", now
            dropped += 1
        seen.add(day)
    return dropped
