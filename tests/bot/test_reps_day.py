"""A rep's day in the bot (issue 14): finding customers as reps type them. Through both
frameworks, over HTTP to the local Bot API server."""

from __future__ import annotations

import pytest

from interview_bot.app import open_app
from storage import accounts, customers
from storage.models import utcnow
from tests.bot.harness import REP, BotUnderTest

OTHER_REP = 7003


async def _book(bot: BotUnderTest) -> None:
    """Rep Wang owns 华东精密机械有限公司 (contact 钱经理, a phone and an email) and
    上海示例阀门有限公司; rep Chen owns 北方重工."""
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        now = utcnow()
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
