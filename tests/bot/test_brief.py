"""Issue 27: /brief before a call, through both Telegram frameworks over HTTP to the local
Bot API server."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from interview_bot.app import open_app
from storage.models import AuditEntry
from tests.bot.harness import REP, BotUnderTest

# a first visit: met Zhang San, an influencer (not the decision-maker); situation and
# problems covered; the approval steps, the budget and competitors left unknown
FIRST_VISIT = ["1", "Zhang San", "2", "yes", "1,2", "/skip", "1", "Too much manual work",
               "/skip", "no", "not sure yet", "yes", "/skip", "/skip", "1", "yes", "/skip",
               "1", "2", "/skip", "in 7 days", "yes"]


async def debrief_once(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    await bot.say(REP, "/debrief Newco Ltd")
    reply = await bot.tap(REP, "new:1")
    for answer in FIRST_VISIT:
        reply = await bot.say(REP, answer)
    await bot.skip_rest(REP, reply, "Debrief saved.")


def asked(brief: str) -> list[str]:
    """The numbered questions to ask next, each with its reason."""
    return re.findall(r"^\d+\. (.+)\n   ↳ (.+)$", brief, flags=re.MULTILINE)


async def test_brief_lists_what_is_missing_and_what_to_ask(bot: BotUnderTest) -> None:
    await debrief_once(bot)
    brief = await bot.say(REP, "/brief Newco")
    assert brief.startswith("🧾 Before the call: Newco Ltd (owner: Wang Fang)"), brief
    assert "Zhang San · Influencer" in brief  # the contact and the role, in words
    assert "rep Wang Fang" in brief  # who gave the facts
    assert "• Implication: never covered" in brief
    questions = asked(brief)
    assert 3 <= len(questions) <= 5, brief
    reasons = [reason for _, reason in questions]
    assert reasons[:3] == ["no decision-maker named yet", "Budget unknown",
                           "Implication never covered"], reasons
    assert "budget" in questions[1][0].lower()
    assert "#" not in brief and "deal." not in brief  # no raw ids or field names
    zh = await bot.say(REP, "/brief Newco", "zh")
    assert zh.startswith("🧾 拜访前简报：Newco Ltd（负责人：Wang Fang）"), zh
    assert [r for _, r in asked(zh)][:3] == ["还没有确定决策人", "预算范围未知", "暗示阶段从未问到"]
    async with open_app(bot.settings) as app, app.sessions() as session:
        reads = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "brief.read"))).all()
    assert len(reads) == 2 and {r.channel for r in reads} == {"telegram"}
    # the terminal prints the same brief
    env = {**os.environ, "DATABASE_URL": bot.settings.database.url}
    printed = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "interview_bot", "customers", "brief", "newco",
                         "--lang", "zh"], env=env, capture_output=True, text=True, timeout=60,
        check=False)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == zh.strip()


async def test_brief_of_an_unknown_customer_says_so(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    reply = await bot.say(REP, "/brief Nobody Ltd")
    assert reply.startswith("There is no customer “Nobody Ltd”."), reply


async def test_a_second_debrief_asks_what_the_card_holds_as_still_so(
        bot: BotUnderTest) -> None:
    """Issue 27: the debrief no longer asks the timeline again when the card has it: "still
    within a month?", one tap keeps it (recorded as kept). After this second debrief
    without a decision-maker or a budget, the brief warns of both."""
    await debrief_once(bot)
    await bot.say(REP, "/debrief Newco")
    reply = ""
    for answer in ["1", "Zhang San", "2", "yes", "1", "/skip", "/skip", "no", "not sure yet",
                   "yes", "/skip", "/skip"]:
        reply = await bot.say(REP, answer)
    assert "When does the customer plan to decide?\nWe have: Within a month. Is that still " \
           "right?" in reply, reply
    assert [label for label, _ in bot.api.last_buttons(REP)][:2] == ["Keep it", "Change it"]
    reply = await bot.tap(REP, "Keep it")
    for answer in ["/skip", "1", "2", "/skip", "in 7 days", "yes"]:
        reply = await bot.say(REP, answer)
    await bot.skip_rest(REP, reply, "Debrief saved.")
    async with open_app(bot.settings) as app, app.sessions() as session:
        sources = (await session.execute(text(
            "SELECT question_id, source FROM answers WHERE source = 'kept'"))).all()
    assert [tuple(r) for r in sources] == [("timeline", "kept")]
    brief = await bot.say(REP, "/brief Newco")
    warnings = brief.split("[Warnings]\n", 1)[1].split("\n[What we know]", 1)[0]
    assert warnings.splitlines() == ["⚠️ no decision-maker after 2 debriefs",
                                     "⚠️ budget still unknown after 2 debriefs"], brief


def briefs(bot: BotUnderTest) -> list[str]:
    return [t for t in bot.api.texts(REP) if t.startswith("⏰")]


async def test_meet_sends_the_brief_before_the_meeting_once_across_a_restart(
        bot: BotUnderTest) -> None:
    """/meet moves the meeting the debrief agreed on to a set time, a second /meet moves it
    again; the brief comes an hour before the newest time only, once, though the bot
    restarted in between; the old times' briefs never come."""
    await debrief_once(bot)  # the next contact in 7 days: a meeting that day
    zone = ZoneInfo("Asia/Shanghai")
    today = bot.clock().astimezone(zone).date()
    reply = await bot.say(REP, "/meet Newco tomorrow 3pm")
    seventh = today + timedelta(days=7)
    assert reply.startswith(f"📅 Meeting with Newco Ltd moved from {seventh:%a} "
                            f"{seventh.day} {seventh:%b} all day to "), reply
    assert "The brief now goes to Wang Fang at" in reply and "14:00" in reply, reply
    reply = await bot.say(REP, "/meet Newco 后天上午10点", "zh")
    assert "会前简报改为" in reply and "09:00" in reply, reply
    assert (await bot.say(REP, "/meet Newco someday")).startswith(
        "⚠️ “someday” is not a time I can read."), "a time it cannot read is named"
    current = await bot.say(REP, "/meet Newco")
    assert current.startswith("📅 Next meeting with Newco Ltd:") and "10:00" in current

    bot.clock.set(datetime.combine(today + timedelta(days=1), time(14, 1), zone))
    await asyncio.sleep(5)  # two dispatcher passes: the moved meeting's brief is gone
    assert briefs(bot) == []
    bot.clock.set(datetime.combine(today + timedelta(days=2), time(8, 59), zone))
    await bot.restart()
    bot.clock.set(datetime.combine(today + timedelta(days=2), time(9, 0, 30), zone))
    await bot.api.wait_for(lambda: len(briefs(bot)) == 1, 20)
    brief = briefs(bot)[0]
    assert "Newco Ltd" in brief.splitlines()[0] and "10:00" in brief.splitlines()[0], brief
    assert "[Ask next]" in brief and "no decision-maker named yet" in brief, brief
    await asyncio.sleep(5)
    assert len(briefs(bot)) == 1  # once
