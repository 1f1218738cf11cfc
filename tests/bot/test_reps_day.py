"""A rep's day in the bot (issue 14): finding customers as reps type them. Through both
frameworks, over HTTP to the local Bot API server."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from interview_bot.app import open_app
from storage import accounts, customers, reminders
from storage.models import Answer, AuditEntry, Customer, Interview, Reminder
from tests.bot.harness import REP, BotUnderTest
from tests.bot.test_scenarios import DEBRIEF_TO_TIMELINE

OTHER_REP = 7003


async def _book(bot: BotUnderTest) -> None:
    """Rep Wang owns 华东精密机械有限公司 (contact 钱经理, a phone and an email) and
    上海示例阀门有限公司; rep Chen owns 北方重工."""
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        now = bot.clock()
        rep = await accounts.add_user(s, telegram_id=REP, name="Wang Fang", role="rep", now=now)
        other = await accounts.add_user(s, telegram_id=OTHER_REP, name="Chen", role="rep",
                                        now=now)
        huadong = await customers.create(s, "华东精密机械有限公司", now, owner_id=rep.id)
        contact = await customers.new_contact(s, huadong.id, now)
        contact.name, contact.phone, contact.email = "钱经理", "+8613800138000", "qian@hd.cn"
        await customers.create(s, "上海示例阀门有限公司", now, owner_id=rep.id)
        await customers.create(s, "北方重工", now, owner_id=other.id)


LOOKUPS = [  # typed after /card → the card of
    ("华东精密", "华东精密机械有限公司"), ("华东精密机械有限公司", "华东精密机械有限公司"),
    ("hzjm", None), ("hdjm", "华东精密机械有限公司"), ("huadong", "华东精密机械有限公司"),
    ("HuaDong JingMi", "华东精密机械有限公司"), ("钱经理", "华东精密机械有限公司"),
    ("138 0013 8000", "华东精密机械有限公司"), ("QIAN@hd.cn", "华东精密机械有限公司"),
    ("上海示例阀门", "上海示例阀门有限公司"), ("示例", "上海示例阀门有限公司"),
    ("＃1", "华东精密机械有限公司"),
]


@pytest.mark.parametrize(("typed", "expected"), LOOKUPS, ids=[t for t, _ in LOOKUPS])
async def test_card_finds_the_customer_as_a_rep_types_it(
        bot: BotUnderTest, typed: str, expected: str | None) -> None:
    await _book(bot)
    reply = await bot.say(REP, f"/card {typed}")
    if expected is None:
        assert reply.startswith(f"There is no customer “{typed}”."), reply
    else:
        assert reply.startswith(f"🗂 {expected}"), reply


async def test_a_miss_names_the_closest_and_someone_elses_customer_is_refused(
        bot: BotUnderTest) -> None:
    await _book(bot)
    miss = await bot.say(REP, "/card 华东精蜜")
    assert miss.startswith("There is no customer “华东精蜜”. Did you mean: 华东精密机械有限公司?")
    assert (await bot.say(REP, "/card 北方重工")) == "You may not see or act on this customer."
    several = await bot.say(REP, "/card 有限公司")
    assert several.startswith("Several customers match")
    assert {label for label, _ in bot.api.last_buttons(REP)} == {
        "华东精密机械有限公司 (#1)", "上海示例阀门有限公司 (#2)"}


async def test_a_note_goes_on_the_card_encrypted_and_audited(bot: BotUnderTest) -> None:
    await _book(bot)
    saved = await bot.say(REP, "/note hdjm 钱经理说下周三给预算 138 0013 8000")
    assert saved == "Note saved on 华东精密机械有限公司."
    card = await bot.say(REP, "/card 华东精密")
    assert "📝 " in card and "钱经理说下周三给预算" in card
    async with open_app(bot.settings) as app, app.sessions() as s:
        raw = (await s.execute(text("SELECT text FROM notes"))).scalar_one()
        actions = (await s.scalars(select(AuditEntry.action))).all()
    assert raw.startswith("enc:") and "note.add" in actions
    usage = await bot.say(REP, "/note 华东精密")
    assert usage.startswith("Write it as: /note customer your note")


@pytest.mark.wall_clock
async def test_edit_corrects_one_field_and_a_grade_change_replans_the_revisit(
        bot: BotUnderTest) -> None:
    await _book(bot)
    phone = await bot.say(REP, "/edit 华东精密 phone 139 1234 5678")
    assert phone == "华东精密机械有限公司: Phone is now +8613912345678"
    bad = await bot.say(REP, "/edit 华东精密 phone 12ab")
    assert bad.startswith("⚠️ Phone: ") and "Write it as: /edit" in bad
    unknown = await bot.say(REP, "/edit 华东精密 colour red")
    assert unknown.startswith("⚠️ “colour” is not a field of the card")
    async with open_app(bot.settings) as app, app.sessions() as s:
        before = (await s.scalars(select(Customer.revisit_due_on).where(
            Customer.name == "华东精密机械有限公司"))).one()
    graded = await bot.say(REP, "/edit 华东精密 grade A")
    assert graded.startswith("华东精密机械有限公司: Grade is now A")
    async with open_app(bot.settings) as app, app.sessions() as s:
        customer = (await s.scalars(select(Customer).where(
            Customer.name == "华东精密机械有限公司"))).one()
        revisits = (await s.scalars(select(Reminder.due_at).where(
            Reminder.customer_id == customer.id, Reminder.kind == "revisit",
            Reminder.status == "pending"))).all()
        fields = (await s.scalars(select(AuditEntry.fields).where(
            AuditEntry.action == "card.edit"))).all()
    assert customer.grade == "A" and customer.revisit_due_on != before
    local = customer.created_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert customer.revisit_due_on == local + timedelta(days=30)  # grade A: 30, not 90
    assert len(revisits) == 1  # the 90-day one gave way
    assert f"Next revisit moved to {customer.revisit_due_on}." in graded
    assert fields == [["contact.phone"], ["customer.grade"]]  # names, never values
    priority = await bot.say(REP, "/edit 华东精密 优先级 高")
    assert priority.startswith("华东精密机械有限公司: Priority is now")
    async with open_app(bot.settings) as app, app.sessions() as s:
        follow_ups = (await s.scalars(select(Reminder.due_at).where(
            Reminder.kind == "follow_up", Reminder.status == "pending"))).all()
    assert len(follow_ups) == 1


@pytest.mark.wall_clock
async def test_the_end_of_a_debrief_says_what_was_scheduled(bot: BotUnderTest) -> None:
    await _book(bot)
    await bot.say(REP, "/debrief 上海示例阀门")
    for answer in DEBRIEF_TO_TIMELINE:
        await bot.say(REP, answer)
    await bot.tap(REP, "Yes")  # the timeline, confirmed
    for answer in ["/skip", "1", "1", "/skip", "in 7 days"]:
        await bot.say(REP, answer)
    saved = await bot.skip_rest(REP, await bot.tap(REP, "Yes"), "Debrief saved.")
    assert saved.startswith("Debrief saved.\n\nFollow-up scheduled: "), saved
    assert saved.count("(reminding Wang Fang)") == 2
    assert "Next revisit: " in saved


@pytest.mark.wall_clock
async def test_today_lists_what_is_due_overdue_first_with_buttons(bot: BotUnderTest) -> None:
    """Regression: run after 09:00 in Shanghai, the revisit planned below fell due while the
    test ran and the bot sent it between the replies the test reads. The bot's clock now
    reads 07:30 there: the revisit is due today, at 09:00, and not yet sent."""
    now = bot.clock.forward_to(time(7, 30))
    await _book(bot)
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        wang = await accounts.user_at(s, REP)
        manager = await accounts.add_user(s, telegram_id=8001, name="赵经理", role="manager",
                                          now=now)
        assert wang is not None
        wang.manager_id = manager.id
        huadong, famen = (await s.scalars(select(Customer).order_by(Customer.id))).all()[:2]
        famen.last_contact_at = now - timedelta(days=90)  # no grade: due for a revisit today
        await app.planner.set_revisit(s, famen, now)
        for kind, customer, due in (("follow_up", huadong, now - timedelta(days=2)),
                                    ("birthday", huadong, now + timedelta(days=4))):
            await reminders.schedule(s, kind=kind, dedupe_key=f"t:{kind}", due_at=due, now=now,
                                     customer_id=customer.id, recipient_id=wang.id,
                                     payload={})
        await s.execute(update(Reminder).where(Reminder.dedupe_key == "t:follow_up")
                        .values(status="sent"))
    await bot.say(REP, "/debrief 华东精密")  # started, then left unfinished
    sent = len(bot.api.texts(REP))
    today = await bot.say(REP, "/today")
    # the list, then each item on its own with its buttons
    await bot.api.wait_for(lambda: len(bot.api.texts(REP)) == sent + 4)
    lines = today.splitlines()
    assert lines[0] == "📋 Due today (3, overdue first):"
    assert lines[1].startswith("⏰ Follow up: 华东精密机械有限公司") and "overdue" in lines[1]
    assert lines[2].startswith("📅 Revisit: 上海示例阀门有限公司")
    assert lines[3].startswith("📝 Unfinished debrief: 华东精密机械有限公司")
    assert "Birthday" not in today
    sent = len(bot.api.texts(REP))
    week = await bot.say(REP, "/week")
    assert "🎂 Birthday: 华东精密机械有限公司" in week
    await bot.api.wait_for(lambda: len(bot.api.texts(REP)) == sent + 5)
    team = await bot.say(8001, "/today")
    assert "👤 Wang Fang" in team and "Follow up: 华东精密机械有限公司" in team
    continue_ = [c for _label, c in bot.api.last_buttons(REP)]
    assert continue_ and continue_[0].startswith("cont:")
    resumed = await bot.tap(REP, "Continue")
    assert "What kind of contact was this?" in resumed


def test_every_catalogue_key_has_both_languages() -> None:
    from conversation import labels, reminder_texts, texts
    from flows import messages
    from interview_bot import terminal_chat

    for catalogue in (texts.TEXTS, reminder_texts.TEXTS, labels.LABELS, messages.MESSAGES,
                      terminal_chat.TEXTS):
        for key, entry in catalogue.items():
            assert set(entry) >= {"zh", "en"}, key
            assert all(entry[lang].strip() for lang in ("zh", "en")), key


async def test_no_raw_id_reaches_a_chinese_rep(bot: BotUnderTest, shipped_flows: dict) -> None:
    """Issue 14: "· A · high ·" in /customers, "（manager）" after /adduser, "card.read
    customer#1 telegram ok" in /history, "timeline: within_3_months" on the card."""
    from conversation.labels import LABELS

    await _book(bot)
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        await accounts.add_user(s, telegram_id=9001, name="管理员", role="admin", now=bot.clock())
        famen = (await s.scalars(select(Customer).where(Customer.name.like("上海%")))).one()
        famen.grade, famen.priority = "A", "high"
    zh = "zh"
    await bot.say(REP, "/debrief 华东精密", zh)
    for answer in ["1", "钱经理", *DEBRIEF_TO_TIMELINE[2:]]:
        await bot.say(REP, answer, zh)
    await bot.tap(REP, "是", zh)
    for answer in ["/skip", "1", "1", "/skip", "3天后"]:
        await bot.say(REP, answer, zh)
    await bot.skip_rest(REP, await bot.tap(REP, "是", zh), "复盘已保存", zh)
    seen = [await bot.say(REP, "/customers", zh), await bot.say(REP, "/card 华东精密", zh),
            await bot.say(9001, "/adduser 5555 manager 赵经理", zh),
            await bot.say(9001, "/history 华东精密", zh)]
    raw = {c.id for flow in shipped_flows.values() for q in flow.questions
           for c in q.choices or [] if "_" in c.id}
    raw |= {key.split(".", 1)[1] for key in LABELS if key.startswith("action.")}
    raw |= {"high", "medium", "low", "manager", "telegram", "customer#"}
    for message in seen:
        leaked = {word for word in raw if word in message}
        assert not leaked, (leaked, message)
    card = seen[1]
    assert card.count("钱经理") == 1, card  # one contact, not two
    assert "A级" in seen[0] and "高优先级" in seen[0]


async def test_a_debrief_stopped_with_cancel_is_offered_again(bot: BotUnderTest) -> None:
    await _book(bot)
    await bot.say(REP, "/debrief 华东精密")
    await bot.say(REP, "1")
    await bot.say(REP, "Zhang San")
    await bot.say(REP, "/cancel")
    again = await bot.say(REP, "/debrief 华东精密")
    assert "What kind of contact was this?" in again
    labels = [label for label, _ in bot.api.last_buttons(REP)]
    assert labels[0] == "↩️ Go on where you stopped (2 answered)"
    resumed = await bot.tap(REP, labels[0])
    assert "Zhang San" in resumed  # the third question pipes the second answer


async def test_a_returning_customer_confirms_what_the_card_knows(bot: BotUnderTest) -> None:
    """Issue 14: a second pre_meeting asked the head count, contact and role again. Now
    what the card holds is shown with Keep it / Change it, and a tap keeps it."""
    from services.interview_service import Respondent
    from tests.bot.harness import CUSTOMER
    from tests.bot.test_scenarios import invite_link
    from tests.storage.test_interviews import PRE_MEETING

    token = await invite_link(bot, "Returning Ltd")
    async with open_app(bot.settings) as app:  # the questionnaire they answered last time
        async with app.sessions.begin() as s:
            customer = (await s.scalars(select(Customer).where(
                Customer.name == "Returning Ltd"))).one()
            turn = await app.interviews.begin(
                s, customer_id=customer.id, flow_id="pre_meeting", language="en",
                respondent=Respondent(f"tg:{CUSTOMER}", "telegram"))
        for answer in PRE_MEETING:
            async with app.sessions.begin() as s:
                if answer == "/skip":
                    await app.interviews.skip(s, turn.interview_id, "en")
                else:
                    await app.interviews.answer(s, turn.interview_id, answer, "en")
    await bot.say(CUSTOMER, f"/start {token}")
    first = await bot.tap(CUSTOMER, "I agree, start")
    # the name is shown to keep (masked: whoever holds the link may not be that person)
    assert "How should we address you?\nWe have: L*****. Is that still right?" in first
    assert [label for label, _ in bot.api.last_buttons(CUSTOMER)][:2] == ["Keep it",
                                                                          "Change it"]
    second = await bot.tap(CUSTOMER, "Keep it")
    # a contact's fact, masked too
    assert "In a purchase like this, which role do you usually play?\nWe have: " in second
    third = await bot.tap(CUSTOMER, "Keep it")
    # what the card knows of the company (industry, head count) is not asked again
    assert "Which problems come up most often in your work?" in third
    assert "Which industry" not in first + second + third
    async with open_app(bot.settings) as app, app.sessions() as s:
        sources = (await s.execute(select(Answer.question_id, Answer.source).where(
            Answer.source == "kept").order_by(Answer.id))).all()
    assert [tuple(r) for r in sources] == [("contact_name", "kept"), ("decision_role", "kept")]


@pytest.mark.wall_clock
async def test_a_nudge_and_an_overdue_ping_reach_the_rep_through_the_bot(
        bot: BotUnderTest) -> None:
    """Issue 14, end to end: the planner (under the clock the database holds: an interview
    left 5 hours ago, a revisit 7 days overdue) makes a nudge with Continue, a ping to the
    rep and one to the manager; the bot sends them; Continue resumes the debrief."""
    from services.interview_service import Respondent

    await bot.stop()  # seeded while no planner runs; the one that starts plans and sends
    await _book(bot)
    now = bot.clock()
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        wang = await accounts.user_at(s, REP)
        manager = await accounts.add_user(s, telegram_id=8001, name="赵经理", role="manager",
                                          now=now)
        assert wang is not None
        wang.manager_id, wang.language, manager.language = manager.id, "en", "en"
        for person in (wang, manager):
            person.quiet_hours = "00:00-00:00"  # never quiet: the test may run at any hour
        huadong, famen = (await s.scalars(select(Customer).order_by(Customer.id))).all()[:2]
        famen.revisit_due_on = (now - timedelta(days=7)).date()
        turn = await app.interviews.begin(
            s, customer_id=huadong.id, flow_id="post_call", language="en",
            respondent=Respondent(f"tg:{REP}", "telegram", wang.id))
        await app.interviews.answer(s, turn.interview_id, "1", "en")
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        await s.execute(update(Interview).values(updated_at=now - timedelta(hours=5)))
    await bot.start()
    await bot.api.wait_for(lambda: any("is not finished" in t for t in bot.api.texts(REP))
                           and any("days overdue" in t for t in bot.api.texts(REP))
                           and any("days overdue" in t for t in bot.api.texts(8001)), 30)
    nudge = next(t for t in bot.api.texts(REP) if "is not finished" in t)
    assert nudge.startswith("✏️ Your interview about 华东精密机械有限公司")
    ping = next(t for t in bot.api.texts(8001) if "days overdue" in t)
    assert "Wang Fang's customer 上海示例阀门有限公司" in ping
    message = next(c for c in bot.api.calls_of("sendMessage")
                   if "is not finished" in str(c.params.get("text")))
    data = message.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    before = len(bot.api.texts(REP))
    bot.api.push_tap(REP, bot.api.last_message_id(REP), data)
    await bot.api.wait_for(lambda: any("Who was your main contact" in t
                                       for t in bot.api.texts(REP)[before:]))


async def test_a_note_is_in_the_managers_export(bot: BotUnderTest) -> None:
    import io

    from openpyxl import load_workbook

    await _book(bot)
    await bot.add_staff(9001, "admin", "Admin")
    await bot.say(REP, "/note 华东精密 quote by Friday")
    await bot.say(9001, "/export xlsx quarterly review")
    await bot.api.wait_for(lambda: bool(bot.api.files(9001)))
    _method, _name, content = bot.api.files(9001)[-1]
    sheet = load_workbook(io.BytesIO(content))["customers"]
    header = [c.value for c in sheet[1]]
    rows = {r[1].value: dict(zip(header, (c.value for c in r), strict=True))
            for r in sheet.iter_rows(min_row=2)}
    assert rows["华东精密机械有限公司"]["Notes"].endswith("quote by Friday")
