"""Feishu (Lark) for reps and managers: the real bot (`serve`, Feishu only) against a local
Feishu, events signed and encrypted as Feishu sends them, replies through the official SDK.
Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from interview_bot.app import open_app
from interview_bot.serve import serve
from interview_bot.settings import (
    DatabaseSettings,
    FeishuSettings,
    ReminderSettings,
    Settings,
)
from services.interview_service import Respondent
from storage import accounts, feishu, personal, reminders
from storage.models import (
    Answer,
    AuditEntry,
    ChatEvent,
    Customer,
    InboxUpdate,
    Reminder,
    User,
)
from tests.bot.harness import quiet_week_policy
from tests.clock import RunningClock
from tests.local_feishu import (
    APP_ID,
    APP_SECRET,
    ENCRYPT_KEY,
    VERIFICATION_TOKEN,
    LocalFeishu,
    card_buttons,
    card_event,
    card_number,
    push,
    text_event,
)
from tests.ports import free_port
from tests.scripts import POST_CALL, answered, script, shipped

REP = "ou_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
STRANGER = "ou_ffffffffffffffffffffffffffffffff"
DEBRIEF = {**POST_CALL, "priority": "2", "next_contact": "in 7 days"}


@dataclass
class FeishuBot:
    lark: LocalFeishu
    settings: Settings
    clock: RunningClock = field(default_factory=RunningClock)  # never the time of day
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.feishu.port}/feishu/events"

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(serve(self.settings, clock=self.clock,
                                              stop=self.stop_event))
        if self.settings.feishu.mode == "long":
            await self.lark.wait_for(lambda: bool(self.lark.connections) or self.task.done()
                                     if self.task else False, 20)
            if self.task.done():
                self.task.result()
            return
        for _ in range(400):  # until the callback answers
            if self.task.done():
                self.task.result()
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.settings.feishu.port)
                writer.close()
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the Feishu callback never opened")

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)

    async def say(self, open_id: str, text: str) -> str:
        """Type a message; the bot's next message to that person."""
        before = len(self.lark.to(open_id))
        status, _ = await push(self.url, text_event(open_id, text))
        assert status == 200
        await self.lark.wait_for(lambda: len(self.lark.to(open_id)) > before)
        return self.lark.to(open_id)[before].text

    async def tap(self, open_id: str, label: str) -> str:
        """Press a button of the newest card; the bot's next message."""
        sent = self.lark.last_card(open_id)
        data = next(d for text, d in sent.buttons if label in (text, d))
        before = len(self.lark.to(open_id))
        status, _ = await push(self.url, card_event(open_id, sent.message_id, data))
        assert status == 200
        await self.lark.wait_for(lambda: len(self.lark.to(open_id)) > before)
        return self.lark.to(open_id)[before].text


@contextlib.asynccontextmanager
async def running(db_url: str, mode: str = "callback") -> AsyncIterator[FeishuBot]:
    lark = LocalFeishu()
    await lark.start()
    keys = {"verification_token": VERIFICATION_TOKEN, "encrypt_key": ENCRYPT_KEY} \
        if mode == "callback" else {}
    clock = RunningClock()
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        reminders=ReminderSettings(policy_file=quiet_week_policy(clock())),
        feishu=FeishuSettings(app_id=APP_ID, app_secret=APP_SECRET, domain=lark.base_url,
                              port=free_port(), mode=mode, **keys))
    bot = FeishuBot(lark, settings, clock)
    try:
        yield bot
    finally:
        with contextlib.suppress(Exception):
            await bot.stop()
        await lark.stop()


async def rep_on_feishu(settings: Settings, now: datetime) -> int:
    """A rep who is only on Feishu, owning Acme Ltd; the rep's user id."""
    async with open_app(settings) as app, app.sessions.begin() as session:
        rep = await accounts.add_user(session, telegram_id=None, name="Wang Fang", role="rep",
                                      now=now)
        await feishu.bind(session, rep, REP, now)
        rep.quiet_hours = "00:00-00:00"  # never quiet: the test may run at any hour
        await app.interviews.create_customer(session, "Acme Ltd", Respondent("cli", "cli"),
                                             rep.id)
        return rep.id


async def test_a_debrief_on_feishu_with_card_buttons(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        first = await bot.say(REP, "/debrief Acme Ltd")
        assert "kind of contact" in first or "拜访" in first or "联系" in first
        card = bot.lark.last_card(REP)
        assert card.text == first and len(card.buttons) >= 2  # a choice, as card buttons
        # the language follows what the person chooses; Feishu sends none: Chinese first
        await bot.tap(REP, card.buttons[0][1])  # the first kind of contact, pressed
        await bot.lark.wait_for(lambda: any(
            mid == card.message_id and "✓" in str(patched) for mid, patched in bot.lark.patches))
        flow = shipped()["post_call"]
        inputs = script(flow, DEBRIEF)
        assert inputs[0] == "1"  # pressed above
        for typed in inputs[1:]:
            reply = await bot.say(REP, typed)
        assert "复盘已保存" in reply or "Debrief saved" in reply
        async with open_app(bot.settings) as app, app.sessions() as session:
            customer = await session.scalar(select(Customer).where(Customer.name == "Acme Ltd"))
            assert customer is not None and customer.priority == "medium"
            stored = (await session.scalars(select(Answer.question_id).where(
                Answer.customer_id == customer.id, Answer.superseded_at.is_(None)))).all()
            assert set(stored) == set(answered(flow, DEBRIEF))
            # the audit names the person and the channel, and its export names them by name
            exported = (await personal.export_personal(session, customer))["audit"]
        started = next(line for line in exported if "interview.start" in line)
        assert "Wang Fang (user:" in started and "  feishu  " in started


async def test_a_stranger_on_feishu_is_told_to_ask_an_admin_and_can_be_bound(db_url: str
                                                                              ) -> None:
    async with running(db_url) as bot:
        await bot.start()
        refused = await bot.say(STRANGER, "/today")
        # a colleague not registered yet, not a customer: told so, with the id an admin
        # registers them by
        assert refused.startswith("您好！这个机器人供已登记的销售团队成员使用，您还没有登记")
        assert refused.endswith(f"：\n{STRANGER}") and "--feishu-open-id" in refused
        assert (await bot.say(STRANGER, "hello")).endswith(STRANGER)
        async with open_app(bot.settings) as app, app.sessions() as session:
            [(open_id, _, user)] = await feishu.seen(session)
        assert open_id == STRANGER and user is None  # `users feishu-seen` lists them


async def test_help_on_feishu_lists_what_works_there_and_invite_gives_the_web_page(
        db_url: str) -> None:
    """Issue 25: on Feishu /help listed /invite's Telegram link and left out /today, /note
    and /edit, which work there."""
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        shown = await bot.say(REP, "/help")
        listed = {line.split()[0] for line in shown.splitlines()[1:]}
        for works in ("/today", "/week", "/note", "/edit", "/debrief", "/invite", "/card",
                      "/customers", "/status", "/back", "/skip", "/cancel", "/lang"):
            assert works in listed, works
        # not for a rep, or not for staff at all
        assert not listed & {"/start", "/forget", "/correct", "/export", "/adduser"}
        assert "/note 客户名 内容 — 记一条客户备注（销售）" in shown
        invite = await bot.say(REP, "/invite Acme Ltd")
        assert "t.me/" not in invite and "/q/" in invite  # no Telegram bot here: the web page
        for command in ("/note Acme Ltd 周五前要报价", "/today"):
            assert "可以使用 /" not in await bot.say(REP, command)  # not refused


async def test_a_card_left_behind_loses_its_buttons_and_a_press_on_it_says_why(
        db_url: str) -> None:
    """Issue 25: a card whose question had moved on (a typed answer) kept live buttons that
    did nothing, silently: the notice Telegram shows on a press was dropped on Feishu."""
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        await bot.say(REP, "/debrief Acme Ltd")
        old = bot.lark.last_card(REP)
        await bot.say(REP, "1")  # typed instead of pressed: the question moves on
        before = len(bot.lark.to(REP))
        status, _ = await push(bot.url, card_event(REP, old.message_id, old.buttons[1][1]))
        assert status == 200
        await bot.lark.wait_for(lambda: len(bot.lark.to(REP)) > before)
        # said, with where the debrief stands (a message: a notice is never dropped)
        assert bot.lark.to(REP)[before].text.startswith("这份问卷已在另一个窗口继续作答")
        await bot.lark.wait_for(lambda: any(mid == old.message_id for mid, _ in
                                            bot.lark.patches))
        patched = [str(p) for mid, p in bot.lark.patches if mid == old.message_id][-1]
        assert "（已失效）" in patched and '"tag": "button"' not in patched.replace("'", '"')
        async with open_app(bot.settings) as app, app.sessions() as session:
            kinds = (await session.scalars(select(Answer.question_id))).all()
        assert kinds == ["call_type"]  # the press changed nothing
        await bot.say(REP, "/cancel")  # the debrief ends: a press on its card now
        current = bot.lark.last_card(REP)
        before = len(bot.lark.to(REP))
        status, answer = await push(bot.url, card_event(REP, current.message_id,
                                                        current.buttons[0][1]))
        # the notice Telegram shows on a press: Feishu's toast, in the callback's answer
        assert (status, answer) == (200, {"toast": {"type": "info",
                                                    "content": "这个按钮已失效。"}})
        await bot.lark.wait_for(lambda: any(mid == current.message_id for mid, _ in
                                            bot.lark.patches))
        assert bot.lark.to(REP)[before:] == []  # not a message as well


@pytest.mark.wall_clock
async def test_a_reminder_reaches_a_rep_on_feishu_and_its_card_buttons_work(db_url: str
                                                                            ) -> None:
    async with running(db_url) as bot:
        rep_id = await rep_on_feishu(bot.settings, bot.clock())
        async with open_app(bot.settings) as app, app.sessions.begin() as session:
            customer = await session.scalar(select(Customer.id))
            await reminders.schedule(session, kind="follow_up", dedupe_key="test:1",
                                     due_at=bot.clock() - timedelta(minutes=1), now=bot.clock(),
                                     customer_id=customer, recipient_id=rep_id,
                                     payload={"note": {"zh": "发方案", "en": "Send it"}})
        await bot.start()  # the dispatcher sends what is due right at start
        await bot.lark.wait_for(lambda: bool(bot.lark.to(REP)), 20)
        reminder = bot.lark.to(REP)[0]
        assert reminder.text == "⏰ 跟进提醒：Acme Ltd\n发方案"
        assert [label for label, _ in reminder.buttons] == [
            "开始复盘", "推迟 1 天", "推迟 1 周", "已完成 ✓"]
        status, _ = await push(bot.url, card_event(REP, reminder.message_id,
                                                   dict(reminder.buttons)["推迟 1 天"]))
        assert status == 200
        await bot.lark.wait_for(lambda: any(
            mid == reminder.message_id and "✓ 推迟 1 天" in str(card)
            for mid, card in bot.lark.patches))
        async with open_app(bot.settings) as app, app.sessions() as session:
            rows = (await session.scalars(select(Reminder).order_by(Reminder.id))).all()
            assert [r.status for r in rows if r.kind == "follow_up"] == ["snoozed", "pending"]


async def test_an_event_sent_twice_is_applied_once(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        await bot.say(REP, "/debrief Acme Ltd")
        await bot.tap(REP, bot.lark.last_card(REP).buttons[0][1])  # the kind of contact
        event = text_event(REP, "Zhang San", event_id="evt-sent-twice")
        before = len(bot.lark.to(REP))
        assert (await push(bot.url, event))[0] == 200
        await bot.lark.wait_for(lambda: len(bot.lark.to(REP)) > before)
        assert (await push(bot.url, event))[0] == 200  # Feishu's retry: acknowledged
        await asyncio.sleep(1.0)  # time enough for a second reply, if there were one
        assert len(bot.lark.to(REP)) == before + 1
        async with open_app(bot.settings) as app, app.sessions() as session:
            names = (await session.scalars(select(Answer.value).where(
                Answer.question_id == "met_name"))).all()
            assert names == ["Zhang San"]
            assert await session.scalar(select(func.count()).select_from(ChatEvent).where(
                ChatEvent.event_id == "evt-sent-twice")) == 1


async def test_a_callback_not_from_feishu_is_refused_and_nothing_is_stored(db_url: str
                                                                           ) -> None:
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        forged = text_event(REP, "/today")
        status, body = await push(bot.url, forged, sign_with="not-the-encrypt-key")
        assert (status, body) == (401, {"msg": "bad signature"})
        wrong_key = await push(bot.url, text_event(REP, "/today"), encrypt_key="another-key")
        assert wrong_key[0] == 401 and "FEISHU_ENCRYPT_KEY" in wrong_key[1]["msg"]
        token = text_event(REP, "/today")
        token["header"]["token"] = "someone-elses-token"
        assert await push(bot.url, token) == (401, {"msg": "wrong verification token"})
        # issue 24 (9): a correctly signed event three days old is a replay
        old = time.time() - 3 * 86400
        stale = await push(bot.url, text_event(REP, "/today"), signed_at=old)
        assert stale[0] == 401 and "a replay" in stale[1]["msg"]
        # Feishu's check of the address, answered with its challenge
        check = {"type": "url_verification", "challenge": "c-123", "token": VERIFICATION_TOKEN}
        assert await push(bot.url, check) == (200, {"challenge": "c-123"})
        await asyncio.sleep(0.5)
        assert bot.lark.messages == []
        async with open_app(bot.settings) as app, app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
            assert await session.scalar(select(func.count()).select_from(ChatEvent)) == 0


async def test_a_person_on_telegram_and_feishu_is_one_user(db_url: str) -> None:
    settings, now = Settings(database=DatabaseSettings(url=db_url)), RunningClock()()
    async with open_app(settings) as app, app.sessions.begin() as session:
        both = await accounts.add_user(session, telegram_id=7001, name="Li Na", role="manager",
                                       now=now)
        chat = await feishu.bind(session, both, REP, now)
    async with open_app(settings) as app, app.sessions() as session:
        _, users = await accounts.load(session, [7001, chat])
        assert users[7001].id == users[chat].id == both.id
        assert await accounts.address_of(session, both.id) == 7001  # reminders: Telegram first
        assert accounts.is_other_channel(chat) and not accounts.is_other_channel(7001)
        on = (await accounts.accounts_of(session, [both.id]))[both.id]
        assert [(a.channel, a.external_id) for a in on] == [("telegram", "7001"),
                                                             ("feishu", REP)]


@pytest.mark.parametrize("status,code,kind", [
    (429, 99991400, "retry_after"), (400, 230013, "forbidden"), (500, 0, "transient"),
    (400, 230001, "permanent")])
def test_feishu_refusals_become_our_delivery_kinds(status: int, code: int, kind: str) -> None:
    from bot.feishu_protocol import delivery_error

    assert delivery_error(status, code, "x", 2.0).kind == kind


async def test_the_long_connection_needs_no_public_address(db_url: str) -> None:
    """FEISHU_MODE=long: the SDK's WebSocket client connects out; an event it receives is
    acknowledged (200) once stored, and one sent again is acknowledged and not applied."""
    async with running(db_url, mode="long") as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        event = text_event(REP, "/debrief Acme Ltd", event_id="evt-over-the-connection")
        assert await bot.lark.push_over_connection(event) == 200
        await bot.lark.wait_for(lambda: len(bot.lark.to(REP)) == 1)
        first = bot.lark.last_card(REP)
        assert len(first.buttons) >= 2
        assert await bot.lark.push_over_connection(event) == 200  # sent again
        pressed = card_event(REP, first.message_id, first.buttons[0][1])
        assert await bot.lark.push_over_connection(pressed) == 200
        await bot.lark.wait_for(lambda: len(bot.lark.to(REP)) == 2)
        await asyncio.sleep(0.5)
        assert len(bot.lark.to(REP)) == 2  # the repeated /debrief started nothing
        async with open_app(bot.settings) as app, app.sessions() as session:
            kinds = (await session.scalars(select(Answer.question_id))).all()
            assert kinds == ["call_type"]


MANAGER = "ou_1111aaaa2222bbbb3333cccc4444dddd"


async def test_a_manager_on_feishu_gets_the_report_image_and_an_export_the_rep_their_day(
        db_url: str) -> None:
    async with running(db_url) as bot:
        rep_id = await rep_on_feishu(bot.settings, bot.clock())
        async with open_app(bot.settings) as app, app.sessions.begin() as session:
            manager = await accounts.add_user(session, telegram_id=None, name="Li Na",
                                              role="manager", now=bot.clock())
            await feishu.bind(session, manager, MANAGER, bot.clock())
            rep = await session.get(User, rep_id)
            assert rep is not None
            rep.manager_id = manager.id
        await bot.start()
        await bot.say(MANAGER, "/report")
        await bot.lark.wait_for(lambda: len(bot.lark.to(MANAGER)) >= 2)
        image, summary = bot.lark.to(MANAGER)[:2]
        assert bot.lark.uploads and bot.lark.uploads[0][0] == "image"
        assert bot.lark.uploads[0][1].startswith(b"\x89PNG")  # the chart, drawn
        assert image.msg_type == "interactive" and image.content["elements"][0]["tag"] == "img"
        assert summary.text.split("\n", 1)[0] in image.text  # the title under the chart
        exported = len(bot.lark.to(MANAGER))
        await bot.say(MANAGER, "/export xlsx quarterly review")
        await bot.lark.wait_for(lambda: len(bot.lark.to(MANAGER)) >= exported + 2)
        file_message, caption = bot.lark.to(MANAGER)[exported:exported + 2]
        assert file_message.msg_type == "file" and file_message.content["file_key"]
        assert bot.lark.uploads[-1][0] == "file"
        assert bot.lark.uploads[-1][1].startswith(b"PK")  # an Excel workbook (a zip)
        assert caption.msg_type == "text" and caption.text
        today = await bot.say(REP, "/today")
        assert today.startswith("今天没有待办")  # the rep's day, in Chinese: Feishu sends no
        # language, so the default until the rep picks one with /lang
        async with open_app(bot.settings) as app, app.sessions() as session:
            entries = (await session.scalars(select(AuditEntry).where(
                AuditEntry.action == "report"))).all()
            assert [e.channel for e in entries] == ["feishu"]  # not "telegram"


async def test_a_reply_feishu_refuses_for_a_while_still_arrives(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        bot.lark.faults += [(429, 99991400, "request trigger frequency limit"),
                            (500, 0, "internal error")]
        first = await bot.say(REP, "/debrief Acme Ltd")
        assert bot.lark.last_card(REP).text == first and not bot.lark.faults
        assert len(bot.lark.to(REP)) == 1  # sent once, after the two refusals


async def test_one_tenant_token_for_every_message_and_a_new_one_once_revoked(
        db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        await bot.say(REP, "/debrief Acme Ltd")
        help_text = await bot.say(REP, "/help")
        assert bot.lark.token_requests == 1  # fetched at start, used for every call since
        bot.lark.tenant_token = "t-after-a-secret-reset"  # Feishu no longer takes the old one
        assert await bot.say(REP, "/help") == help_text  # delivered all the same
        assert bot.lark.token_requests == 2


async def test_a_multiple_choice_card_is_ticked_in_place_then_done(db_url: str) -> None:
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        await bot.say(REP, "/debrief Acme Ltd")
        await bot.tap(REP, bot.lark.last_card(REP).buttons[0][1])  # the kind of contact
        for typed in ("Zhang San", "1", "yes"):  # met, their role, its read-back
            await bot.say(REP, typed)
        stages = bot.lark.last_card(REP)
        first_label, first_data = stages.buttons[0]
        status, _ = await push(bot.url, card_event(REP, stages.message_id, first_data))
        assert status == 200
        await bot.lark.wait_for(lambda: any(mid == stages.message_id for mid, _ in
                                            bot.lark.patches))
        patched = next(card for mid, card in bot.lark.patches if mid == stages.message_id)
        buttons = card_buttons(patched)
        assert len(buttons) == len(stages.buttons)  # the same card, its buttons kept
        assert buttons[0][0] != first_label  # the first option now shown ticked
        assert first_label.lstrip("☐⬜ ") in buttons[0][0]
        done = next(data for label, data in buttons if "完成" in label)
        next_question = await bot.tap(REP, done)
        assert "4/30" not in next_question  # moved on to the next question


async def test_a_press_between_the_send_and_its_record_finds_its_card(db_url: str) -> None:
    """Issue 24 (10): under load a press came back before the bot had recorded which card
    it sent, was stored without it, and a multiple-choice tick then did nothing. The card's
    buttons now carry its number, so the press finds it whenever it arrives."""
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        await bot.say(REP, "/debrief Acme Ltd")
        await bot.tap(REP, bot.lark.last_card(REP).buttons[0][1])
        for typed in ("Zhang San", "1"):  # met, their role; the read-back card is held
            await bot.say(REP, typed)
        release = asyncio.Event()
        bot.lark.hold_next_card = release
        await bot.say(REP, "yes")  # the read-back confirmed: the stages card goes out, held
        held = bot.lark.last_card(REP)
        label, data = held.buttons[0]
        number = card_number(held.content)
        assert number is not None
        status, _ = await push(bot.url, card_event(REP, held.message_id, data, number=number))
        assert status == 200  # stored while Feishu has not answered the send
        async with open_app(bot.settings) as app, app.sessions() as session:
            stored = (await session.scalars(select(InboxUpdate.payload).order_by(
                InboxUpdate.received_at.desc()))).first()
        assert stored is not None and stored["feishu"].get("message_id") == number, stored
        release.set()
        await bot.lark.wait_for(lambda: any(mid == held.message_id for mid, _ in
                                            bot.lark.patches))
        patched = next(card for mid, card in bot.lark.patches if mid == held.message_id)
        assert card_buttons(patched)[0][0] != label  # ticked in place


async def test_a_notice_later_than_the_callback_waits_is_not_a_toast() -> None:
    """The callback waits a moment for a press's notice; one that comes later (a slow
    worker, another process, a press handled again after a restart) is refused here and
    goes out as a message (FeishuClient.perform), never dropped."""
    from bot.feishu_toasts import Toasts

    toasts = Toasts()
    on_time = toasts.expect("e1")
    assert toasts.offer("e1", "这个按钮已失效。")
    assert await toasts.wait("e1", on_time) == "这个按钮已失效。"
    late = toasts.expect("e2")
    assert await toasts.wait("e2", late) is None  # nothing came within the wait
    assert not toasts.offer("e2", "这个按钮已失效。")
    assert not toasts.offer("never-pressed", None)


async def test_a_brief_on_feishu(db_url: str) -> None:
    """Issue 27: /brief over Feishu's HTTP callback, in the default language (Feishu sends
    none), audited as Feishu's."""
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        brief = await bot.say(REP, "/brief acme")
        assert brief.startswith("🧾 拜访前简报：Acme Ltd（负责人：Wang Fang）"), brief
        assert "【还缺什么（按 SPIN 阶段）】" in brief and "• 暗示：从未问到" in brief
        reasons = re.findall(r"^   ↳ (.+)$", brief, flags=re.MULTILINE)
        assert 3 <= len(reasons) <= 5 and reasons[0] == "还没有确定决策人", brief
        async with open_app(bot.settings) as app, app.sessions() as session:
            entries = (await session.scalars(select(AuditEntry).where(
                AuditEntry.action == "brief.read"))).all()
            assert [e.channel for e in entries] == ["feishu"]


async def test_meet_on_feishu_brings_the_brief_before_the_meeting(db_url: str) -> None:
    """Issue 27: /meet over Feishu's HTTP callback; moved once; the brief of the new time
    comes an hour before it (the clock moved on), once, after a restart in between."""
    async with running(db_url) as bot:
        await rep_on_feishu(bot.settings, bot.clock())
        await bot.start()
        zone = ZoneInfo("Asia/Shanghai")
        day = bot.clock().astimezone(zone).date() + timedelta(days=2)
        reply = await bot.say(REP, "/meet acme 后天下午3点")
        assert reply.startswith("📅 已安排与 Acme Ltd 的会面："), reply
        assert "15:00" in reply and "14:00 发给 Wang Fang" in reply, reply
        reply = await bot.say(REP, "/meet acme 后天下午4点")
        assert "改到" in reply and "16:00" in reply, reply
        # past the first time's brief: it does not come
        bot.clock.set(datetime.combine(day, clock_time(14, 1), zone))
        await bot.stop()
        await bot.start()
        bot.clock.set(datetime.combine(day, clock_time(15, 0, 30), zone))
        await bot.lark.wait_for(
            lambda: any(m.text.startswith("⏰") for m in bot.lark.to(REP)), 20)
        await asyncio.sleep(4)
        briefs = [m.text for m in bot.lark.to(REP) if m.text.startswith("⏰")]
        assert len(briefs) == 1, briefs
        assert briefs[0].startswith(f"⏰ {day.month}月{day.day}日") and "16:00" in briefs[0]
        assert "【下次可以问】" in briefs[0], briefs[0]
