"""The team pool through Telegram (aiogram and python-telegram-bot) under a controlled clock:
the owner is warned, then told the customer went back to the pool (their manager too); a
teammate finds it with /pool and takes it with /claim; a claim over the holding limit is
refused with the limit named."""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml

from interview_bot.app import open_app
from storage import customers
from storage.models import Customer
from tests.bot.harness import BotUnderTest, bot_settings, team_of_two
from tests.clock import RunningClock
from tests.local_bot_api import LocalBotApi

MANAGER, WANG, ZHAO = 8001, 7001, 7002


async def _plan(bot: BotUnderTest) -> None:
    async with open_app(bot.settings, clock=bot.clock) as app, app.sessions.begin() as s:
        await app.planner.plan(s, bot.clock())


async def _seed(bot: BotUnderTest) -> None:
    _, wang, zhao = await team_of_two(bot)
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        now = bot.clock()
        for name, owner, grade in (("华东精密机械有限公司", wang, "C"), ("南方机电", wang, "C"),
                                   ("赵强的老客户", zhao, "A")):
            customer: Customer = await customers.create(s, name, now, owner_id=owner.id)
            customer.grade, customer.worked_at = grade, now


async def test_warned_released_claimed_and_a_claim_over_the_limit_refused(
        framework: str, tmp_path: Path) -> None:
    api = LocalBotApi()
    await api.start()
    clock = RunningClock()
    settings = bot_settings(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", api, None, clock())
    policy_file = settings.reminders.policy_file
    assert policy_file is not None
    policy = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
    policy["pool"]["holding_limit"], policy["pool"]["enabled"] = 2, True  # it ships off
    policy_file.write_text(yaml.safe_dump(policy), encoding="utf-8")
    bot = BotUnderTest(api, framework, settings, False, clock)
    try:
        await bot.start()
        await _seed(bot)
        clock.advance(days=12)  # three days before grade C's fifteen
        await _plan(bot)
        await api.wait_for(lambda: any("公海" in t for t in api.texts(WANG)), 20)
        warning = next(t for t in api.texts(WANG) if "公海" in t)
        assert "华东精密机械有限公司" in warning and "退回团队公海" in warning
        clock.advance(days=3)
        await _plan(bot)
        await api.wait_for(lambda: sum("公海" in t for t in api.texts(WANG)) >= 4, 20)
        await api.wait_for(lambda: any("公海" in t for t in api.texts(MANAGER)), 20)
        assert "2" in next(t for t in api.texts(MANAGER) if "公海" in t)
        listed = await bot.say(ZHAO, "/pool", "zh")
        assert "华东精密机械有限公司" in listed and "南方机电" in listed and "王芳" in listed
        claimed = await bot.say(ZHAO, "/claim 华东精密", "zh")
        assert "华东精密机械有限公司" in claimed and "赵强" in claimed, claimed
        refused = await bot.say(ZHAO, "/claim 南方机电", "zh")
        assert "上限 2" in refused, refused
        taken = await bot.say(WANG, "/claim 华东精密", "zh")
        assert "团队公海里没有" in taken  # it is 赵强's now
    finally:
        with contextlib.suppress(Exception):
            await bot.stop()
        await api.stop()
    async with open_app(settings) as app, app.sessions() as s:
        owners = {c.name: c.owner_id for c in (await s.execute(
            Customer.__table__.select())).all()}
    assert owners["华东精密机械有限公司"] is not None and owners["南方机电"] is None
