"""The team pool on Feishu over HTTP (the callback, signed and encrypted as Feishu sends it)
under a controlled clock: the owner is warned, then told the customer went back; a
teammate takes it with /claim; a claim over the limit is refused with the limit named."""

from __future__ import annotations

import yaml

from interview_bot.app import open_app
from interview_bot.settings import Settings
from storage import accounts, customers, feishu
from storage.models import Customer
from tests.bot.test_feishu import running
from tests.clock import RunningClock

WANG, ZHAO = "ou_" + "1" * 32, "ou_" + "2" * 32


async def _plan(settings: Settings, clock: RunningClock) -> None:
    async with open_app(settings, clock=clock) as app, app.sessions.begin() as s:
        await app.planner.plan(s, clock())


async def test_warned_released_and_claimed_on_feishu(db_url: str) -> None:
    async with running(db_url) as bot:
        policy_file = bot.settings.reminders.policy_file
        assert policy_file is not None
        policy = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
        policy["pool"] |= {"enabled": True, "holding_limit": 2}
        policy_file.write_text(yaml.safe_dump(policy), encoding="utf-8")
        async with open_app(bot.settings) as app, app.sessions.begin() as s:
            now = bot.clock()
            manager = await accounts.add_user(s, telegram_id=None, name="李娜",
                                              role="manager", now=now)
            people = {}
            for open_id, name in ((WANG, "王芳"), (ZHAO, "赵强")):
                person = await accounts.add_user(s, telegram_id=None, name=name, role="rep",
                                                 now=now, manager_id=manager.id)
                person.quiet_hours = "00:00-00:00"  # the test may run at any hour
                await feishu.bind(s, person, open_id, now)
                people[open_id] = person
            for name, owner, grade in (("华东精密机械有限公司", people[WANG], "C"),
                                       ("南方机电", people[WANG], "C"),
                                       ("赵强的老客户", people[ZHAO], "A")):
                customer: Customer = await customers.create(s, name, now, owner_id=owner.id)
                customer.grade, customer.worked_at = grade, now
        await bot.start()
        bot.clock.advance(days=12)
        await _plan(bot.settings, bot.clock)
        await bot.lark.wait_for(lambda: sum("公海" in m.text for m in bot.lark.to(WANG)) >= 2,
                                20)
        bot.clock.advance(days=3)
        await _plan(bot.settings, bot.clock)
        await bot.lark.wait_for(lambda: sum("公海" in m.text for m in bot.lark.to(WANG)) >= 4,
                                20)
        released = [m.text for m in bot.lark.to(WANG) if "退回团队公海，" in m.text]
        assert len(released) == 2
        listed = await bot.say(ZHAO, "/pool")
        assert "华东精密机械有限公司" in listed and "王芳" in listed
        claimed = await bot.say(ZHAO, "/claim 华东精密")
        assert "华东精密机械有限公司" in claimed and "赵强" in claimed, claimed
        refused = await bot.say(ZHAO, "/claim 南方机电")
        assert "上限 2" in refused, refused
