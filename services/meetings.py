"""Meetings with a customer and the brief before each (/meet, and a debrief's next contact
date): one upcoming meeting per customer; setting it again moves it (and its brief),
cancelling it drops the brief. The brief is a reminder like any other: due `lead_minutes`
before the meeting (the policy's `brief:` section), out of the owner's quiet hours, sent
once even across restarts and replicas (the reminder queue's lease and dedupe key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.briefing import BriefRules
from flows.meeting_time import MeetingTime
from services.follow_up_planner import FollowUpPlanner
from storage import audit, customers, reminders
from storage.models import Customer, Meeting, Reminder, User

MORNING_HOUR = 9  # a meeting on a day without a time: its brief comes that morning


@dataclass(frozen=True)
class Planned:
    meeting: Meeting
    brief_at: datetime  # when the brief goes out
    moved_from: datetime | None  # the meeting's former start, when it was moved
    was_all_day: bool = False  # the former one was a whole day


async def owner_of(session: AsyncSession, customer: Customer, setter: User) -> User:
    """Who gets the brief: the customer's owner, else whoever sets the meeting."""
    return await customers.owner_of(session, customer) or setter


async def upcoming(session: AsyncSession, customer_id: int, now: datetime) -> Meeting | None:
    """The customer's planned meeting still ahead (a whole day counts until its end)."""
    return (await session.scalars(
        select(Meeting).where(Meeting.customer_id == customer_id, Meeting.status == "planned",
                              or_(Meeting.starts_at > now,
                                  and_(Meeting.all_day.is_(True),
                                       Meeting.starts_at > now - timedelta(days=1))))
        .order_by(Meeting.starts_at).limit(1))).first()


async def set_meeting(session: AsyncSession, planner: FollowUpPlanner | None,
                      rules: BriefRules,
                      customer: Customer, owner: User | None, when: MeetingTime,
                      zone: ZoneInfo, *, source: str, actor: str, channel: str,
                      now: datetime) -> Planned:
    """Plan the meeting (or move the upcoming one) and its brief to the owner."""
    local_now = now.astimezone(zone)
    starts = when.moment(local_now).astimezone(now.tzinfo)
    meeting = await upcoming(session, customer.id, now)
    moved_from, was_all_day = None, False
    if meeting is None:
        meeting = Meeting(customer_id=customer.id, owner_id=owner.id if owner else None,
                          starts_at=starts, all_day=when.at is None, status="planned",
                          source=source, created_by=actor, created_at=now, updated_at=now)
        session.add(meeting)
        await session.flush()
    else:
        moved_from = meeting.starts_at if meeting.starts_at != starts else None
        was_all_day = meeting.all_day
        await _drop_brief(session, meeting, now)
        meeting.starts_at, meeting.all_day, meeting.updated_at = starts, when.at is None, now
        meeting.owner_id = owner.id if owner else meeting.owner_id
    brief_at = _brief_moment(planner, rules, meeting, owner, zone, now)
    if meeting.owner_id is not None:
        await reminders.schedule(
            session, kind="brief",
            dedupe_key=f"brief:{meeting.id}:{int(meeting.starts_at.timestamp())}",
            due_at=brief_at, now=now, customer_id=customer.id, recipient_id=meeting.owner_id,
            payload={"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat(),
                     "all_day": meeting.all_day, "zone": zone.key})
    await audit.append(session, at=now, actor=actor,
                       action="meeting.move" if moved_from else "meeting.set",
                       entity="customer", entity_id=customer.id, channel=channel,
                       fields=["starts_at"])
    return Planned(meeting, brief_at, moved_from, was_all_day)


async def cancel_meeting(session: AsyncSession, customer: Customer, *, actor: str,
                         channel: str, now: datetime) -> Meeting | None:
    """Cancel the upcoming meeting and drop its brief; None when there was none."""
    meeting = await upcoming(session, customer.id, now)
    if meeting is None:
        return None
    meeting.status, meeting.updated_at = "cancelled", now
    await _drop_brief(session, meeting, now)
    await audit.append(session, at=now, actor=actor, action="meeting.cancel",
                       entity="customer", entity_id=customer.id, channel=channel)
    return meeting


async def brief_obsolete(session: AsyncSession, payload: dict[str, object],
                         now: datetime) -> str | None:
    """Why a brief reminder must not go out now (None: it may): its meeting was cancelled or
    moved meanwhile, or has begun (a whole-day meeting: that day is over)."""
    meeting = await session.get(Meeting, payload.get("meeting_id"))
    if meeting is None or meeting.status != "planned":
        return "cancelled"
    if meeting.starts_at.isoformat() != payload.get("starts_at"):
        return "cancelled"  # moved: the brief of the new time is another reminder
    if now >= meeting.starts_at + (timedelta(days=1) if meeting.all_day else timedelta()):
        return "expired"
    return None


async def _drop_brief(session: AsyncSession, meeting: Meeting, now: datetime) -> None:
    await session.execute(
        update(Reminder).where(Reminder.kind == "brief", Reminder.status == "pending",
                               Reminder.dedupe_key.startswith(f"brief:{meeting.id}:"))
        .values(status="cancelled", updated_at=now).execution_options(
            synchronize_session=False))


def _brief_moment(planner: FollowUpPlanner | None, rules: BriefRules, meeting: Meeting,
                  owner: User | None, zone: ZoneInfo, now: datetime) -> datetime:
    """`lead_minutes` before the start (a whole-day meeting: before 09:00 that day), moved out
    of the owner's quiet hours — to their end when that is still before the meeting, else to
    just before they began; never before now."""
    start = meeting.starts_at
    if meeting.all_day:
        start = start.astimezone(zone).replace(hour=MORNING_HOUR).astimezone(now.tzinfo)
    ideal = start - timedelta(minutes=rules.lead_minutes)
    return max(planner.before(ideal, start, owner) if planner is not None else ideal, now)
