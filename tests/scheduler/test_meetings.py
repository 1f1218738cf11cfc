"""Issue 27: when a meeting's brief goes out (services/meetings.py) — an hour before by the
policy, out of the owner's quiet hours (21:00–08:30 in the shipped policy) but never after
the meeting begins — and what moving and cancelling do to it; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from flows.briefing import BriefRules
from flows.meeting_time import MeetingTime
from services import meetings
from storage import accounts, customers
from storage.models import Customer, Reminder, User
from tests.conftest import FakeClock
from tests.storage.helpers import Harness, harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


async def _set(h: Harness, when: MeetingTime, lead: int = 60) -> tuple[datetime, list[Reminder]]:
    async with h.sessions.begin() as s:
        owner = await accounts.user_at(s, 7001)
        if owner is None:
            owner = await accounts.add_user(s, telegram_id=7001, name="Wang Fang", role="rep",
                                            now=h.clock())
        customer = (await s.scalars(select(Customer))).first() or await customers.create(
            s, "华东精密", h.clock(), owner_id=owner.id)
        planned = await meetings.set_meeting(
            s, h.planner, BriefRules(lead_minutes=lead), customer, owner, when, SHANGHAI,
            source="meet", actor=f"user:{owner.id}", channel="telegram", now=h.clock())
    async with h.sessions() as s:
        pending = list((await s.scalars(select(Reminder).where(
            Reminder.kind == "brief", Reminder.status == "pending"))).all())
    return planned.brief_at.astimezone(SHANGHAI), pending


@pytest.mark.parametrize(("when", "lead", "expected"), [
    (MeetingTime(date(2026, 12, 8), time(15, 0)), 60, local(2026, 12, 8, 14, 0)),
    (MeetingTime(date(2026, 12, 8), time(15, 0)), 24 * 60, local(2026, 12, 7, 15, 0)),
    # 07:45 is in the quiet hours; their end (08:30) is still before the meeting
    (MeetingTime(date(2026, 12, 8), time(8, 45)), 60, local(2026, 12, 8, 8, 30)),
    # 06:00 is quiet and their end would be after the meeting: just before they began
    (MeetingTime(date(2026, 12, 8), time(7, 0)), 60, local(2026, 12, 7, 20, 59)),
    # a whole day (a debrief's next contact): the morning's first moment out of quiet hours
    (MeetingTime(date(2026, 12, 8), None), 60, local(2026, 12, 8, 8, 30)),
    # the lead reaches back before now: at once
    (MeetingTime(date(2026, 12, 7), time(10, 30)), 60, local(2026, 12, 7, 10, 0)),
])
async def test_when_the_brief_goes(db_url: str, shipped_flows: dict, when: MeetingTime,
                                   lead: int, expected: datetime) -> None:
    async with harness(db_url, shipped_flows, FakeClock(NOW)) as h:
        brief_at, (reminder,) = await _set(h, when, lead)
        assert brief_at == expected
        assert reminder.due_at == brief_at


async def test_moving_and_cancelling_the_meeting(db_url: str, shipped_flows: dict) -> None:
    async with harness(db_url, shipped_flows, FakeClock(NOW)) as h:
        await _set(h, MeetingTime(date(2026, 12, 8), time(15, 0)))
        _, (moved,) = await _set(h, MeetingTime(date(2026, 12, 9), time(10, 0)))
        assert moved.due_at.astimezone(SHANGHAI).hour == 9  # one brief, of the new time
        async with h.sessions.begin() as s:
            (customer,) = (await s.scalars(select(Customer))).all()
            owner = (await s.scalars(select(User))).one()
            assert await meetings.cancel_meeting(s, customer, actor=f"user:{owner.id}",
                                                 channel="telegram", now=NOW) is not None
        async with h.sessions() as s:
            statuses = sorted((await s.scalars(select(Reminder.status).where(
                Reminder.kind == "brief"))).all())
        assert statuses == ["cancelled", "cancelled"]


async def test_closing_the_customer_drops_its_meeting_and_brief(db_url: str,
                                                                shipped_flows: dict) -> None:
    from services.customer_closing import close

    async with harness(db_url, shipped_flows, FakeClock(NOW)) as h:
        await _set(h, MeetingTime(date(2026, 12, 8), time(15, 0)))
        async with h.sessions.begin() as s:
            (customer,) = (await s.scalars(select(Customer))).all()
            await close(s, customer, actor="cli", channel="cli", now=NOW)
            assert await meetings.upcoming(s, customer.id, NOW) is None
        async with h.sessions() as s:
            assert (await s.scalars(select(Reminder.status).where(
                Reminder.kind == "brief"))).all() == ["cancelled"]
