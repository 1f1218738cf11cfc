from __future__ import annotations

from tests.bot.harness import CUSTOMER, BotUnderTest


async def test_a_stranger_gets_a_polite_refusal(bot: BotUnderTest) -> None:
    reply = await bot.say(CUSTOMER, "hello")
    assert reply.startswith("Hello! This bot serves invited customers and registered sales")
