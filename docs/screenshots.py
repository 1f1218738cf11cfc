"""Screenshots for the README and an estimate of how long the questionnaire takes.

Plays ten customers through the shipped pre-meeting questionnaire on a phone-sized page
(headless Chromium), on a clock that moves by a think time per answer (below: a model, not
a measurement of people), then reads the median time to finish from the funnel itself.
Run from the repository: `.venv/bin/python docs/screenshots.py` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from aiohttp import web  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from services import questionnaire_funnel  # noqa: E402
from storage import accounts, customers, funnel, invites, web_access  # noqa: E402
from tests.conftest import FakeClock  # noqa: E402
from tests.ports import free_port  # noqa: E402
from tests.scripts import shipped  # noqa: E402
from tests.storage.helpers import harness  # noqa: E402
from web.pages import Dashboard  # noqa: E402
from web.server import make_app  # noqa: E402

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "locale": "zh-CN", "is_mobile": True, "has_touch": True}
# seconds a customer spends per step: reading the consent, tapping an option, typing
THINK = {"consent": 20, "tap": 8, "typed": 30, "number": 10}
TYPED = ["李伟", "上周一张订单录入出错，返工了两天", "报价从三天缩短到一天",
         "采购部初审，总经理签字"]
# where each customer stops: None finishes; a number stops before that question
STOPS = [None, None, None, None, None, None, 3, 5, 8, None]


async def _customer(page: Any, clock: FakeClock, link: str, stop: int | None,
                    say_more: bool, shots: dict[str, Path] | None) -> None:
    await page.goto(link)
    clock.advance(seconds=THINK["consent"])
    await page.click("#agree")
    typed = iter(TYPED)
    for step in range(1, 80):
        if await page.locator("#done").count():
            if shots:
                await page.screenshot(path=shots["done"], full_page=True)
            return
        question = await page.inner_text("#question")
        if stop is not None and step >= stop:
            return
        if shots and await page.locator(".checks input").count():
            await page.screenshot(path=shots["question"])  # a question with several answers
        if "您愿意再多说一些吗" in question:
            clock.advance(seconds=THINK["tap"])
            await page.click(f"button.option >> text={'是' if say_more else '否'}")
        elif await page.locator("button.option").count():
            clock.advance(seconds=THINK["tap"])
            await page.locator("button.option").nth(0).click()
        elif await page.locator(".checks input").count():
            clock.advance(seconds=THINK["tap"] * 2)
            await page.locator(".checks input").nth(0).check()
            await page.locator(".checks input").nth(2).check()
            await page.click("#next")
        elif await page.locator("#skip").count():
            clock.advance(seconds=THINK["tap"])
            await page.click("#skip")
        else:
            number = (await page.get_attribute("#value", "inputmode")) == "decimal"
            clock.advance(seconds=THINK["number" if number else "typed"])
            await page.fill("#value", "250" if number else next(typed, "暂时没有"))
            await page.click("#next")


async def main() -> None:
    clock = FakeClock()
    flows = shipped()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/shots.db"
        async with harness(url, flows, clock) as h:
            runner = web.AppRunner(make_app(Dashboard(h.sessions, flows, clock, "Asia/Shanghai",
                                                      interviews=h.service)))
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            base = f"http://127.0.0.1:{port}"
            async with h.sessions.begin() as s:
                boss = await accounts.add_user(s, telegram_id=801, name="赵经理", role="manager",
                                               now=clock())
                rep = await accounts.add_user(s, telegram_id=802, name="王芳", role="rep",
                                              now=clock(), manager_id=boss.id)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
                for n, stop in enumerate(STOPS):
                    async with h.sessions.begin() as s:
                        customer = await customers.create(s, f"华东精密{n}", clock(),
                                                          owner_id=rep.id)
                        _, token = await invites.create(
                            s, customer_id=customer.id, flow_id="pre_meeting",
                            created_by=rep.id, now=clock(), valid_for=timedelta(days=14))
                    context = await browser.new_context(**PHONE)
                    shots = {k: HERE / f"questionnaire-{k}.png" for k in
                             ("question", "done")} if n == 0 else None
                    await _customer(await context.new_page(), clock, f"{base}/q/{token}",
                                    stop, n == 5, shots)
                    await context.close()
                    clock.advance(minutes=30)
                async with h.sessions.begin() as s:
                    link = await web_access.make_link(s, boss.id, clock())
                    rows = await funnel.invites_since(s, None, None)
                desk = await browser.new_context(viewport={"width": 1280, "height": 900},
                                                 locale="zh-CN")
                page = await desk.new_page()
                await page.goto(f"{base}/login?token={link}")
                await page.click("#sign-in")
                await page.goto(f"{base}/questionnaires?days=0")
                await page.screenshot(path=HERE / "questionnaire-funnel.png", full_page=True)
                await browser.close()
            await runner.cleanup()
    result = questionnaire_funnel.funnel(rows, flows["pre_meeting"], "zh")
    print(f"finished {result.steps['finished']} of {result.steps['sent']}; median "
          f"{result.median_minutes} min (think times {THINK} s, a model)")


if __name__ == "__main__":
    asyncio.run(main())
