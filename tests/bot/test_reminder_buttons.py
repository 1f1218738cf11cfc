"""A reminder reaches the rep through the running bot, and its buttons work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interview_bot.app import open_app
from storage import accounts, reminders
from storage.models import Reminder
from tests.bot.harness import REP, BotUnderTest

pytestmark = pytest.mark.wall_clock  # reminders fall due by the bot's clock

async def due_follow_up(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    async with open_app(bot.settings) as app, app.sessions.begin() as session:
        rep = await accounts.user_at(session, REP)
        assert rep is not None
        rep.quiet_hours = "00:00-00:00"  # never quiet: the test may run at any hour
        customer = await app.interviews.create_customer(session, "Acme", _respondent(), rep.id)
        await reminders.schedule(session, kind="follow_up", dedupe_key="test:1",
                                 due_at=bot.clock() - timedelta(minutes=1), now=bot.clock(),
                                 customer_id=customer.id, recipient_id=rep.id,
                                 payload={"note": {"zh": "发方案", "en": "Send the proposal"}})


def _respondent():  # type: ignore[no-untyped-def]
    from services.interview_service import Respondent

    return Respondent("cli", "cli")


async def test_snoozing_a_reminder_brings_it_back_a_day_later(bot: BotUnderTest) -> None:
    await bot.stop()  # seeded while no dispatcher runs, so the one that starts sends it
    await due_follow_up(bot)
    await bot.start()  # the scheduler dispatches what is due right at start
    await bot.api.wait_for(lambda: bool(bot.api.texts(REP)), 20)
    # the rep has not written to the bot yet: the default language, Chinese
    assert bot.api.texts(REP)[0] == "⏰ 跟进提醒：Acme\n发方案"
    labels = [label for label, _ in bot.api.last_buttons(REP)]
    assert labels == ["开始复盘", "推迟 1 天", "推迟 1 周", "已完成 ✓"]
    data = dict(bot.api.last_buttons(REP))["推迟 1 天"]
    bot.api.push_tap(REP, bot.api.last_message_id(REP), data, language="zh")
    await bot.api.wait_for(lambda: any(c.params.get("text", "").endswith("✓ 推迟 1 天")
                                       for c in bot.api.calls_of("editMessageText")))

    async def snoozed(session: AsyncSession) -> bool:
        rows = (await session.scalars(select(Reminder).where(Reminder.kind == "follow_up")
                                      .order_by(Reminder.id))).all()
        return [r.status for r in rows] == ["snoozed", "pending"] and (
            rows[1].due_at - bot.clock() > timedelta(hours=23))

    await bot.eventually(snoozed)


async def test_debrief_now_starts_the_debrief_for_that_customer(bot: BotUnderTest) -> None:
    await bot.stop()
    await due_follow_up(bot)
    await bot.start()
    await bot.api.wait_for(lambda: bool(bot.api.texts(REP)), 20)
    first = await bot.tap(REP, "开始复盘", language="zh")
    assert "这次是什么类型的沟通？" in first
    async with open_app(bot.settings) as app, app.sessions() as session:
        (status,) = (await session.scalars(select(Reminder.status).where(
            Reminder.kind == "follow_up"))).all()
        assert status == "done"
