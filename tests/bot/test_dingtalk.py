"""DingTalk (钉钉) for reps and managers: the real bot (`serve`, DingTalk only) against a
local DingTalk, its robot messages pushed down a real Stream connection as frames, replies
through the OpenAPI. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from interview_bot.app import open_app
from interview_bot.serve import serve
from interview_bot.settings import (
    DatabaseSettings,
    DingTalkSettings,
    ReminderSettings,
    Settings,
)
from services.interview_service import Respondent
from storage import accounts, reminders
from storage.models import Answer, AuditEntry, ChatEvent, Customer, InboxUpdate, Reminder
from tests.bot.harness import quiet_week_policy
from tests.clock import RunningClock
from tests.local_dingtalk import CLIENT_ID, CLIENT_SECRET, LocalDingTalk, robot_message
from tests.scripts import POST_CALL, answered, script, shipped

REP = "0123456789012345"
MANAGER = "9876543210"
DEBRIEF = {**POST_CALL, "priority": "2", "next_contact": "in 7 days"}


@dataclass
class DingTalkBot:
    ding: LocalDingTalk
    settings: Settings
    clock: RunningClock = field(default_factory=RunningClock)  # never the time of day
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        opened = self.ding.opens
        self.task = asyncio.create_task(serve(self.settings, clock=self.clock,
                                              stop=self.stop_event))
        await self.ding.wait_for(lambda: (self.ding.opens > opened and bool(self.ding.sockets))
                                 or bool(self.task and self.task.done()), 20)
        if self.task.done():
            self.task.result()

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)

    async def say(self, staff_id: str, text: str) -> str:
        """Type a message; the bot's next message to that person (once the frame is acked)."""
        before = len(self.ding.to(staff_id))
        frame = await self.ding.push(robot_message(staff_id, text))
        await self.ding.wait_for(lambda: frame in self.ding.acks)
        await self.ding.wait_for(lambda: len(self.ding.to(staff_id)) > before)
        return self.ding.to(staff_id)[before].text


@contextlib.asynccontextmanager
async def running(db_url: str) -> AsyncIterator[DingTalkBot]:
    ding = LocalDingTalk()
    await ding.start()
    clock = RunningClock()
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        reminders=ReminderSettings(policy_file=quiet_week_policy(clock())),
        dingtalk=DingTalkSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  openapi_endpoint=ding.base_url, oapi_endpoint=ding.base_url))
    bot = DingTalkBot(ding, settings, clock)
    try:
        yield bot
    finally:
        with contextlib.suppress(Exception):
            await bot.stop()
        await ding.stop()


async def rep_on_dingtalk(settings: Settings, now: datetime, staff_id: str = REP,
                          role: str = "rep", name: str = "Wang Fang") -> int:
    """A rep who is only on DingTalk, owning Acme Ltd; the rep's user id."""
    async with open_app(settings) as app, app.sessions.begin() as session:
        rep = await accounts.add_user(session, telegram_id=None, name=name, role=role,
                                      now=now)
        await accounts.bind(session, rep, "dingtalk", staff_id, now)
        rep.quiet_hours = "00:00-00:00"  # never quiet: the test may run at any hour
        if role == "rep":
            await app.interviews.create_customer(session, "Acme Ltd",
                                                 Respondent("cli", "cli"), rep.id)
        return rep.id


async def test_a_debrief_on_dingtalk_answered_by_numbers(db_url: str) -> None:
    async with running(db_url) as bot:
        rep_id = await rep_on_dingtalk(bot.settings, bot.clock())
        await bot.start()
        first = await bot.say(REP, "/debrief Acme Ltd")
        # no buttons on a robot's message: the choices are numbered, the number answers
        assert "\n1. " in first and "\n2. " in first and "回复序号" in first
        flow = shipped()["post_call"]
        for typed in script(flow, DEBRIEF):
            await bot.say(REP, typed)
        await bot.ding.wait_for(lambda: any("复盘已保存" in s.text or "Debrief saved" in s.text
                                            for s in bot.ding.to(REP)), 20)
        async with open_app(bot.settings) as app, app.sessions() as session:
            rows = (await session.scalars(select(Answer.question_id).where(
                Answer.superseded_at.is_(None)))).all()
            started = await session.scalar(select(AuditEntry).where(
                AuditEntry.action == "interview.start"))
        assert sorted(rows) == sorted(answered(flow, DEBRIEF))
        # the audit names the person and where they were
        assert started is not None
        assert (started.actor, started.channel) == (f"user:{rep_id}", "dingtalk")


async def test_help_on_dingtalk_lists_what_works_there(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_dingtalk(bot.settings, bot.clock())
        await bot.start()
        listing = await bot.say(REP, "/help")
        assert "/today" in listing and "/note" in listing and "/debrief" in listing
        stranger = await bot.say("555000", "你好")  # not registered: told so, with the id
        assert "555000" in stranger


async def test_a_message_pushed_again_is_applied_once(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_dingtalk(bot.settings, bot.clock())
        await bot.start()
        await bot.say(REP, "/debrief Acme Ltd")
        before = len(bot.ding.to(REP))
        first = await bot.ding.push(robot_message(REP, "1", msg_id="msg-twice"))
        await bot.ding.wait_for(lambda: len(bot.ding.to(REP)) > before)
        # DingTalk pushes a message again in a new frame with the same msgId
        again = await bot.ding.push(robot_message(REP, "1", msg_id="msg-twice"))
        await bot.ding.wait_for(lambda: first in bot.ding.acks and again in bot.ding.acks)
        assert bot.ding.acks[again]["code"] == 200  # acknowledged, not applied
        await asyncio.sleep(0.5)
        assert len(bot.ding.to(REP)) == before + 1
        async with open_app(bot.settings) as app, app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(ChatEvent).where(
                ChatEvent.event_id == "msg-twice")) == 1
            assert (await session.scalars(select(Answer.question_id))).all() == ["call_type"]


async def test_frames_not_for_the_bot_are_ignored_with_nothing_stored(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_dingtalk(bot.settings, bot.clock())
        await bot.start()
        group = await bot.ding.push(robot_message(REP, "/help", conversation_type="2"))
        nobody = robot_message(REP, "/help")
        data = json.loads(nobody["data"])
        del data["senderStaffId"]
        nobody["data"] = json.dumps(data)
        anonymous = await bot.ding.push(nobody)
        await bot.ding.push_raw("this is not a frame")
        await bot.ding.push_raw(json.dumps({"type": "CALLBACK", "headers": {
            "messageId": "broken", "topic": "/v1.0/im/bot/messages/get"}, "data": "{not json"}))
        foreign = await bot.ding.push(robot_message(REP, "/help", topic="/v1.0/other/topic"))
        ping = await bot.ding.push({"specVersion": "1.0", "type": "SYSTEM", "headers": {
            "messageId": "ping-1", "topic": "ping", "contentType": "application/json"},
            "data": json.dumps({"opaque": "x"})})
        await bot.ding.wait_for(lambda: {group, anonymous, ping} <= set(bot.ding.acks))
        assert foreign not in bot.ding.acks  # a topic the bot did not subscribe to
        async with open_app(bot.settings) as app, app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
            assert await session.scalar(select(func.count()).select_from(ChatEvent)) == 0
        assert bot.ding.sent == []
        assert "/today" in await bot.say(REP, "/help")  # and the stream still works


async def test_a_reminder_reaches_a_rep_on_dingtalk_and_a_number_picks_its_choice(
        db_url: str) -> None:
    async with running(db_url) as bot:
        rep_id = await rep_on_dingtalk(bot.settings, bot.clock())
        async with open_app(bot.settings) as app, app.sessions.begin() as session:
            customer = await session.scalar(select(Customer.id))
            await reminders.schedule(session, kind="follow_up", dedupe_key="test:1",
                                     due_at=bot.clock() - timedelta(minutes=1), now=bot.clock(),
                                     customer_id=customer, recipient_id=rep_id,
                                     payload={"note": {"zh": "发方案", "en": "Send it"}})
        await bot.start()  # the dispatcher sends what is due right at start
        await bot.ding.wait_for(lambda: bool(bot.ding.to(REP)), 20)
        reminder = bot.ding.to(REP)[0].text
        assert reminder.startswith("⏰ 跟进提醒：Acme Ltd\n发方案")
        lines = reminder.splitlines()
        snooze = next(line for line in lines if "1 天" in line)
        number = snooze.split(".", 1)[0]
        # the number of "snooze a day" presses it; a sent message cannot change: a message
        assert (await bot.say(REP, number)) == "✓ 推迟 1 天"
        async with open_app(bot.settings) as app, app.sessions() as session:
            row = await session.scalar(select(Reminder).where(Reminder.dedupe_key == "test:1"))
            assert row is not None and row.status == "snoozed"
            later = await session.scalar(select(Reminder).where(
                Reminder.dedupe_key == f"snooze:{row.id}:1d"))
        assert later is not None and later.status == "pending"  # again, a day later
        assert later.due_at - bot.clock() > timedelta(hours=23)
        # the choice is pressed once: the same number again is text, not a second snooze
        await bot.say(REP, number)
        async with open_app(bot.settings) as app, app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Reminder).where(
                Reminder.dedupe_key.like("snooze:%"))) == 1


async def test_the_weekly_report_image_reaches_a_manager_on_dingtalk(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_dingtalk(bot.settings, bot.clock(), MANAGER, "manager", "Li Na")
        await bot.start()
        before = len(bot.ding.to(MANAGER))
        frame = await bot.ding.push(robot_message(MANAGER, "/report"))
        await bot.ding.wait_for(lambda: frame in bot.ding.acks)
        await bot.ding.wait_for(lambda: any(s.key == "sampleImageMsg"
                                            for s in bot.ding.to(MANAGER)[before:]), 30)
        image = next(s for s in bot.ding.to(MANAGER) if s.key == "sampleImageMsg")
        kind, _, content = bot.ding.uploads[0]
        assert kind == "image" and content.startswith(b"\x89PNG")
        assert image.param["photoURL"].startswith("@media")


async def test_sends_dingtalk_refuses_for_a_moment_are_tried_again(db_url: str) -> None:
    """Flow control (HTTP 429, or DingTalk's QpsLimit code) waits and tries again, as does a
    server error; the reply arrives once."""
    async with running(db_url) as bot:
        await rep_on_dingtalk(bot.settings, bot.clock())
        await bot.start()
        bot.ding.faults += [
            (429, {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "qps limit"}),
            (503, {"code": "ServiceUnavailable", "message": "try later"})]
        listing = await bot.say(REP, "/help")
        assert "/today" in listing and bot.ding.faults == []
        await asyncio.sleep(0.3)
        assert sum("/today" in s.text for s in bot.ding.to(REP)) == 1


async def test_wrong_credentials_are_said_at_start(db_url: str) -> None:
    async with running(db_url) as bot:
        bot.settings.dingtalk.client_secret = SecretStr("not-the-secret")
        with pytest.raises(ValueError, match=r"refused DINGTALK_CLIENT_ID and "
                                             r"DINGTALK_CLIENT_SECRET .*Credentials page"):
            await serve(bot.settings, clock=bot.clock, stop=asyncio.Event())


async def test_an_invite_made_on_dingtalk_is_a_web_link_counted_as_dingtalks(
        db_url: str) -> None:
    """No link opens a DingTalk robot for an outsider: /invite gives the web page, and the
    questionnaire funnel counts the invite as made on DingTalk."""
    from storage import funnel

    async with running(db_url) as bot:
        await rep_on_dingtalk(bot.settings, bot.clock())
        await bot.start()
        reply = await bot.say(REP, "/invite Acme Ltd")
        assert "/q/" in reply and "t.me/" not in reply
        async with open_app(bot.settings) as app, app.sessions() as session:
            [row] = await funnel.invites_since(session, None, None)
        assert row.sent_from == "dingtalk"
