"""Issue 15 in chat, through both frameworks: /merge and /coowner for managers, consent
asked again after the notice changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from interview_bot.app import open_app
from storage import accounts, customers, reminders
from storage.models import Consent, Interview, Note
from tests.bot.harness import CUSTOMER, REP, BotUnderTest
from tests.bot.test_scenarios import invite_link

MANAGER = 8101
OUTSIDER = 8102


async def _team(bot: BotUnderTest) -> tuple[int, int]:
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        now = bot.clock()
        boss = await accounts.add_user(s, telegram_id=MANAGER, name="Zhao", role="manager",
                                       now=now)
        rep = await accounts.add_user(s, telegram_id=REP, name="Wang Fang", role="rep",
                                      now=now, manager_id=boss.id)
        await accounts.add_user(s, telegram_id=OUTSIDER, name="Stranger", role="rep", now=now)
        kept = await customers.create(s, "上海示例科技有限公司", now, owner_id=rep.id)
        dup = await customers.create(s, "示例科技", now, owner_id=rep.id)
        dup.website = "example.cn"
        s.add(Note(customer_id=dup.id, text="met at the fair", created_at=now))
    return kept.id, dup.id


@pytest.mark.wall_clock
async def test_a_manager_merges_a_duplicate_and_hears_what_moved(bot: BotUnderTest) -> None:
    kept, dup = await _team(bot)
    refused = await bot.say(REP, f"/merge #{dup} #{kept}")
    assert refused == "Only managers and admins may use /merge."
    usage = await bot.say(MANAGER, "/merge")
    assert usage.startswith("Usage: /merge <duplicate> <record to keep>")
    done = await bot.say(MANAGER, f"/merge #{dup} #{kept}")
    assert done.startswith(f"Merged 示例科技 (#{dup}) into 上海示例科技有限公司 (#{kept}).")
    assert "1 note(s)" in done and "Filled from the duplicate: Website." in done
    card = await bot.say(REP, f"/card #{kept}")
    assert "met at the fair" in card and "example.cn" in card
    gone = await bot.say(REP, f"/card #{dup}")
    assert gone.startswith("There is no customer")


async def test_a_manager_adds_a_co_owner_who_then_sees_the_customer(bot: BotUnderTest) -> None:
    kept, _ = await _team(bot)
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        boss = await accounts.user_at(s, MANAGER)
        assert boss is not None
        helper = await accounts.add_user(s, telegram_id=8103, name="Zhou", role="rep",
                                         now=bot.clock(), manager_id=boss.id)
    assert (await bot.say(8103, f"/card #{kept}")) == "You may not see or act on this customer."
    outside = await bot.say(MANAGER, f"/coowner #{kept} {OUTSIDER}")
    assert outside == f"Telegram id {OUTSIDER} is not an active member of your team."
    added = await bot.say(MANAGER, f"/coowner #{kept} 8103")
    assert added == "Zhou now co-owns 上海示例科技有限公司: its reminders go to both."
    card = await bot.say(8103, f"/card #{kept}")
    assert card.startswith("🗂 上海示例科技有限公司") and "Co-owners: Zhou" in card
    removed = await bot.say(MANAGER, f"/coowner #{kept} -8103")
    assert removed == "Zhou no longer co-owns 上海示例科技有限公司."
    assert (await bot.say(8103, f"/card #{kept}")) == "You may not see or act on this customer."
    assert helper.active  # off the customer, still on the team


async def test_a_changed_notice_is_agreed_to_again_before_more_answers(
        bot: BotUnderTest) -> None:
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    await bot.tap(CUSTOMER, "Manufacturing")
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        # the notice changed since: their agreement was to an older version
        await s.execute(update(Consent).values(text_version="2025-01"))
    asked = await bot.say(CUSTOMER, "250")
    assert asked.startswith("📄 Our notice has changed since you agreed to it.")
    assert "Who sees your answers" in asked
    assert [a.question_id for a in await bot.answers()] == ["industry"]  # 250 not taken
    again = await bot.tap(CUSTOMER, "I agree, start")
    assert "Roughly how many people work at your company?" in again
    await bot.say(CUSTOMER, "250")
    assert [a.question_id for a in await bot.answers()] == ["industry", "employees"]
    async with open_app(bot.settings) as app, app.sessions() as s:
        versions = (await s.scalars(select(Consent.text_version).order_by(Consent.id))).all()
        assert versions[-1] != "2025-01"
        assert (await s.scalars(select(Interview.status))).all() == ["active"]


@pytest.mark.wall_clock
async def test_a_clean_up_task_lists_the_vague_answers_and_starts_the_clean_up(
        bot: BotUnderTest) -> None:
    await bot.stop()  # seeded while no dispatcher runs, so the one that starts sends it
    await bot.add_staff(REP, "rep", "Wang Fang")
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        rep = await accounts.user_at(s, REP)
        assert rep is not None
        rep.quiet_hours, rep.language = "00:00-00:00", "zh"
        customer = await customers.create(s, "华东精密", bot.clock(), owner_id=rep.id)
        customer.timeline, customer.decision_process = "下季度", "看情况"
        await reminders.schedule(
            s, kind="clean_up", dedupe_key="clean_up:test", due_at=bot.clock(), now=bot.clock(),
            customer_id=customer.id, recipient_id=rep.id,
            payload={"fields": [["deal.timeline", "relative_date"],
                                ["deal.decision_process", "unknown"]],
                     "by": (bot.clock() + timedelta(hours=22)).isoformat()})
    await bot.start()
    await bot.api.wait_for(lambda: bool(bot.api.texts(REP)), 20)
    task = bot.api.texts(REP)[0]
    assert task.startswith("🧹 请在 ") and "清理 华东精密 的记录" in task
    assert "• 采购时间：“下季度”（相对时间）" in task
    assert "• 决策流程：“看情况”（不确定）" in task
    labels = [label for label, _ in bot.api.last_buttons(REP)]
    assert labels == ["现在清理", "推迟 1 天", "推迟 1 周", "已完成 ✓"]
    first = await bot.tap(REP, "现在清理", "zh")
    assert "下季度" in first  # the vague timeline, shown to keep or change
    assert [label for label, _ in bot.api.last_buttons(REP)][:2] == ["保持不变", "修改"]


async def test_dashboard_sends_a_one_time_sign_in_link_to_staff_only(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    reply = await bot.say(REP, "/dashboard")
    assert reply.startswith("🔗 Your sign-in link to the web dashboard (valid 10 minutes")
    assert "/login?token=" in reply
    assert (await bot.say(CUSTOMER, "/dashboard")).startswith("Hello! This bot serves invited")
