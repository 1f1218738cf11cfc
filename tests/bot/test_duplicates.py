"""Two reps chasing one customer (撞单), through Telegram (aiogram and python-telegram-bot): a
rep naming "华东精密" while 王芳 owns "华东精密机械有限公司" is stopped with her name and three
choices, and each does what it says."""

from __future__ import annotations

from sqlalchemy import select

from interview_bot.app import open_app
from storage import co_owners, customers
from storage.models import AuditEntry, Customer, Note
from tests.bot.harness import BotUnderTest, team_of_two

MANAGER, WANG, ZHAO = 8001, 7001, 7002


async def _team(bot: BotUnderTest) -> tuple[int, int]:
    """李娜 manages 王芳 and 赵强; 王芳 owns 华东精密机械有限公司. Returns (its id, 赵强's id)."""
    _, wang, zhao = await team_of_two(bot)
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        customer = await customers.create(s, "华东精密机械有限公司", bot.clock(),
                                          owner_id=wang.id)
        return customer.id, zhao.id


async def _stopped(bot: BotUnderTest) -> str:
    reply = await bot.say(ZHAO, "/debrief 华东精密")
    assert reply.startswith("“华东精密” looks like 华东精密机械有限公司 (#1), which 王芳 owns")
    assert [label for label, _ in bot.api.last_buttons(ZHAO)] == [
        "Ask 王芳 to share it", "Ask my manager", "It is a different company"]
    return reply


async def test_asking_the_owner_to_share_makes_a_co_owner_when_she_agrees(
        bot: BotUnderTest) -> None:
    customer_id, zhao_id = await _team(bot)
    await _stopped(bot)
    asked = await bot.tap(ZHAO, "Ask 王芳 to share it")
    assert asked == "王芳 is asked to share 华东精密机械有限公司; you will hear when they agree."
    await bot.api.wait_for(lambda: any("赵强" in t for t in bot.api.texts(WANG)), 20)
    data = next(d for _, d in bot.api.last_buttons(WANG) if d.startswith("share:"))
    assert data == f"share:{customer_id}.{zhao_id}"
    before = len(bot.api.texts(ZHAO))
    shared = await bot.tap(WANG, data)
    assert "赵强" in shared and "华东精密机械有限公司" in shared
    await bot.api.wait_for(lambda: len(bot.api.texts(ZHAO)) > before, 20)
    assert "王芳" in bot.api.texts(ZHAO)[before]  # told she agreed
    async with open_app(bot.settings) as app, app.sessions() as s:
        assert [u.name for u in await co_owners.of_customer(s, customer_id)] == ["赵强"]
    started = await bot.say(ZHAO, "/debrief 华东精密")  # now it is his to debrief too
    assert "looks like" not in started and "may not" not in started


async def test_asking_the_manager_tells_her(bot: BotUnderTest) -> None:
    await _team(bot)
    await _stopped(bot)
    assert await bot.tap(ZHAO, "Ask my manager") == "Your manager 李娜 is told."
    await bot.api.wait_for(lambda: any("赵强" in t for t in bot.api.texts(MANAGER)), 20)
    told = next(t for t in bot.api.texts(MANAGER) if "赵强" in t)
    assert "王芳" in told and "华东精密机械有限公司" in told


async def test_a_different_company_needs_a_reason_and_keeps_it(bot: BotUnderTest) -> None:
    customer_id, zhao_id = await _team(bot)
    await _stopped(bot)
    asked = await bot.tap(ZHAO, "It is a different company")
    assert asked.startswith("In one line: why is “华东精密” a different company")
    too_short = await bot.say(ZHAO, "不同")
    assert too_short.startswith("Say in at least 4 characters why it is a different company")
    first = await bot.say(ZHAO, "统一社会信用代码不同，在苏州")
    assert "looks like" not in first  # the debrief of the new customer began
    async with open_app(bot.settings) as app, app.sessions() as s:
        made = await s.scalar(select(Customer).where(Customer.name == "华东精密"))
        assert made is not None and made.owner_id == zhao_id and made.id != customer_id
        note = await s.scalar(select(Note).where(Note.customer_id == made.id))
        assert note is not None and "统一社会信用代码不同" in note.text
        assert f"#{customer_id}" in note.text
        actions = list(await s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_id == str(made.id))))
    assert "customer.create_anyway" in actions
