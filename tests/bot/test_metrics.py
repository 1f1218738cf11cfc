"""Issue 24 (8): the bot's and the web server's /metrics, scraped as Prometheus does."""

from __future__ import annotations

import asyncio

import aiohttp

from interview_bot.settings import MetricsSettings
from tests.bot.harness import REP, BotUnderTest
from tests.ports import free_port


async def scrape(http: aiohttp.ClientSession, port: int) -> str:
    """The first scrape, once the listener is up (it opens after the bot connects)."""
    for _ in range(100):
        try:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                return await response.text()
        except aiohttp.ClientConnectorError:
            await asyncio.sleep(0.1)
    raise AssertionError("the metrics listener never opened")


def value(text: str, name: str) -> float:
    """A sample's value from Prometheus's text format (0 before its first count)."""
    line = next((line for line in text.splitlines() if line.startswith(name + " ")), None)
    return 0.0 if line is None else float(line.rsplit(" ", 1)[1])


async def test_metrics_count_what_the_bot_sent_and_what_waits(bot: BotUnderTest) -> None:
    port = free_port()
    bot.settings.metrics = MetricsSettings(port=port)
    await bot.restart()
    await bot.add_staff(REP, "rep", "Wang Fang")
    async with aiohttp.ClientSession() as http:
        before = await scrape(http, port)
        await bot.say(REP, "/help")
        await bot.say(REP, "/today")
        for _ in range(50):  # the reply is marked done just after it is sent
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain; version=")
                after = await response.text()
            if value(after, "interview_inbox_pending") == 0:
                break
            await asyncio.sleep(0.1)
    sent = 'interview_messages_sent_total{channel="telegram"}'
    assert value(after, sent) >= value(before, sent) + 2
    assert value(after, "interview_inbox_pending") == 0  # everything answered
    assert value(after, "interview_inbox_lag_seconds") == 0
    assert value(after, 'interview_reminders{status="failed"}') == 0
    assert "interview_delivery_errors_total" in after and "interview_reminders_late" in after
