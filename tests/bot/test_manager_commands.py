"""Managers in chat: /export sends a file of what they may see, /report a chart and a
summary, and the card shows how complete a record is. Through both frameworks."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from interview_bot.app import open_app
from services.chart import DATA_KEY
from storage import accounts, audit, customers
from storage.models import AuditEntry
from tests.bot.harness import REP, BotUnderTest

MANAGER = 8001
OUTSIDER = 7002


async def _team(bot: BotUnderTest) -> None:
    """Manager Zhao leads rep Wang, who owns 华东精密; another rep owns Other Co."""
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        now = bot.clock()
        manager = await accounts.add_user(s, telegram_id=MANAGER, name="赵经理", role="manager",
                                          now=now)
        rep = await accounts.add_user(s, telegram_id=REP, name="Wang Fang", role="rep",
                                      now=now, manager_id=manager.id)
        outsider = await accounts.add_user(s, telegram_id=OUTSIDER, name="Chen", role="rep",
                                           now=now)
        ours = await customers.create(s, "华东精密 <b>&</b>", now, owner_id=rep.id)
        ours.industry, ours.budget, ours.grade, ours.priority = (
            "manufacturing", "100k_500k", "B", "high")
        await customers.create(s, "Other Co", now, owner_id=outsider.id)


async def test_a_manager_exports_the_teams_data_as_an_excel_file(bot: BotUnderTest) -> None:
    await _team(bot)
    asked = await bot.say(MANAGER, "/export", language="zh")
    assert asked.startswith("导出会把客户资料带出系统，需要登记理由。")  # seed 001
    assert bot.api.files(MANAGER) == []
    caption = await bot.say(MANAGER, "/export 季度经营分析", language="zh")
    assert caption == "导出：0 份访谈，1 家客户，0 位联系人。"  # the manager writes in Chinese
    ((method, filename, content),) = bot.api.files(MANAGER)
    assert method == "sendDocument" and filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(content))
    rows = [[c.value for c in r] for r in book["客户"].iter_rows()]
    assert len(rows) == 2 and rows[1][1] == "华东精密 <b>&</b>"  # not Other Co
    header = rows[0]
    assert rows[1][header.index("预算范围")] == "10万–50万元"  # a label, not the id
    assert rows[1][header.index("负责人")] == "Wang Fang"

    json_caption = await bot.say(MANAGER, "/export json weekly review", language="zh")
    assert json_caption.startswith("导出：")
    _, name, data = bot.api.files(MANAGER)[-1]
    assert name.endswith(".json") and json.loads(data)["customers"][0]["deal.budget"] == "100k_500k"

    async with open_app(bot.settings) as app, app.sessions() as s:
        entries = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "export"))).all()
        reasons = await audit.reasons_of(s, [e.id for e in entries])
    assert [(e.fields, e.outcome, e.channel) for e in entries] == [
        (["xlsx"], "ok", "telegram"), (["json"], "ok", "telegram")]
    assert sorted(reasons.values()) == ["weekly review", "季度经营分析"]


async def test_reps_may_not_export_and_bad_arguments_say_what_is_expected(
        bot: BotUnderTest) -> None:
    await _team(bot)
    refused = await bot.say(REP, "/export", language="zh")
    assert refused == "只有主管、管理员可以使用 /export。"
    assert await bot.say(REP, "/report") == "Only managers and admins may use /report."
    usage = await bot.say(MANAGER, "/export pdf", language="zh")
    assert usage.startswith("看不懂“pdf”。用法：/export [xlsx|csv|json]")
    assert "pre_meeting" in usage
    assert (await bot.say(MANAGER, "/report lots")).startswith("Days must be a whole number")
    assert bot.api.files(REP) == [] and bot.api.files(MANAGER) == []


@pytest.mark.wall_clock
async def test_report_sends_the_chart_then_the_summary(bot: BotUnderTest) -> None:
    await _team(bot)
    title = await bot.say(MANAGER, "/report 30", language="zh")
    assert title.startswith("📊 团队周报 ")
    await bot.api.wait_for(lambda: len(bot.api.texts(MANAGER)) >= 2)
    summary = bot.api.texts(MANAGER)[1]
    assert "客户 1 家" in summary and "Wang Fang" in summary
    ((method, _, png),) = bot.api.files(MANAGER)
    assert method == "sendPhoto"
    image = Image.open(io.BytesIO(png))
    figures = json.loads(image.text[DATA_KEY])  # type: ignore[attr-defined]
    assert figures["customers"] == 1 and figures["grades"]["B"]["high"] == 1
    assert [r["name"] for r in figures["reps"]] == ["Wang Fang"]


async def test_the_card_shows_how_complete_the_record_is(bot: BotUnderTest) -> None:
    await _team(bot)
    card = await bot.say(REP, "/card 华东精密 <b>&</b>")
    assert card.startswith("🗂 华东精密 <b>&</b> (#1)")
    assert "Industry: Manufacturing" in card and "Budget: ¥100k–500k" in card
    assert "📋 Record 17% complete (3 of 18 fields)" in card
    assert "Missing: Credit code, Size (staff or revenue)" in card


async def test_every_command_refuses_every_role_it_is_not_for(bot: BotUnderTest) -> None:
    """One table (conversation/permissions.py) decides; each refused command changes nothing."""
    from conversation.commands import COMMAND_ROLES

    await _team(bot)
    people = {"rep": REP, "manager": MANAGER}
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        await accounts.add_user(s, telegram_id=9101, name="Root", role="admin", now=bot.clock())
    people["admin"] = 9101
    stranger = 4242
    refused = 0
    for command, roles in sorted(COMMAND_ROLES.items()):
        reply = await bot.say(stranger, f"/{command} 华东精密 <b>&</b>")
        assert reply.startswith("Hello! This bot serves invited customers"), (command, reply)
        for role, chat in people.items():
            if role in roles:
                continue
            reply = await bot.say(chat, f"/{command} 华东精密 <b>&</b>")
            assert reply.startswith("Only ") and reply.endswith(f" may use /{command}."), (
                command, role, reply)
            refused += 1
    expected = sum(len({"rep", "manager", "admin"} - roles) for roles in COMMAND_ROLES.values())
    assert refused == expected >= 8  # e.g. /adduser for a rep and a manager, /export for a rep
    assert bot.api.files(REP) == []
    async with open_app(bot.settings) as app, app.sessions() as s:
        actions = set((await s.scalars(select(AuditEntry.action))).all())
    assert not actions & {"export", "report", "audit.read", "user.add", "card.read"}


async def test_a_manager_sees_who_accessed_a_customer(bot: BotUnderTest) -> None:
    await _team(bot)
    await bot.say(REP, "/card 华东精密 <b>&</b>")
    history = await bot.say(MANAGER, "/history 华东精密 <b>&</b>")
    assert history.startswith("🔎 Access history of 华东精密 <b>&</b> (latest 1):")
    (line,) = history.splitlines()[1:]
    assert line.endswith("Wang Fang viewed the card · Telegram")  # in words, not ids
    assert str(REP) not in history  # staff by name, not by Telegram id


@pytest.mark.wall_clock
async def test_customers_are_handed_over_before_a_rep_is_deactivated(bot: BotUnderTest) -> None:
    await _team(bot)
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        await accounts.add_user(s, telegram_id=9101, name="Root", role="admin", now=bot.clock())
    assert await bot.say(MANAGER, f"/reassign {REP} {OUTSIDER}") == (
        "Both people must be in your team.")
    owns = await bot.say(9101, f"/deactivate {REP}")
    assert owns == (f"Wang Fang still owns 1 customer(s). Hand them over first: /reassign {REP} "
                    "<new owner's id>")
    moved = await bot.say(9101, f"/reassign {REP} {OUTSIDER}")
    # the reminder count depends on whether the planner has run yet (a revisit)
    assert moved.startswith("Moved 1 customer(s) from Wang Fang to Chen, with ")
    assert moved.endswith(" reminder(s) and 0 open invite(s). Both are told.")
    await bot.api.wait_for(lambda: bot.api.texts(OUTSIDER) and bot.api.texts(REP)[-1:] != [
        moved], 30)
    # Chen never wrote to the bot: the notice comes in the default language, Chinese
    notice = bot.api.texts(OUTSIDER)[-1]
    assert notice.startswith("📥 Wang Fang 的 1 个客户已转给您：华东精密 <b>&</b>。")
    await bot.api.wait_for(lambda: any(t.startswith("📤") for t in bot.api.texts(REP)), 30)
    assert await bot.say(9101, f"/deactivate {REP}") == (
        "Wang Fang is deactivated; their pending reminders are cancelled.")
    assert (await bot.say(REP, "/customers")).startswith("Hello! This bot serves invited")
    assert await bot.say(9101, "/setrole 7002 boss") == (
        "Usage: /setrole <numeric telegram id> <rep|manager|admin>")
    assert await bot.say(9101, f"/setrole {OUTSIDER} manager") == "Chen is now manager."
