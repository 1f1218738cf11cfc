"""Feishu under `kill -9`: the real `interview-bot run` process, killed right after an
event is acknowledged and while one is being taken, then started again (each start imports
the Feishu SDK, seconds each: two kills, not more). Nothing a rep sent
is lost or applied twice, and every message gets its reply."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import select

from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings
from storage.models import Answer, Customer, utcnow
from tests.bot.harness import quiet_week_policy
from tests.bot.test_feishu import DEBRIEF, REP, rep_on_feishu
from tests.local_feishu import (
    APP_ID,
    APP_SECRET,
    ENCRYPT_KEY,
    VERIFICATION_TOKEN,
    LocalFeishu,
    push,
    text_event,
)
from tests.ports import free_port
from tests.scripts import answered, script, shipped

KILL_AFTER = {4}  # the input after whose acknowledgement the process is killed
KILL_DURING = 9  # the input the process is killed while taking


class BotProcess:
    def __init__(self, db_url: str, lark: LocalFeishu, cwd: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "DATABASE_URL": db_url, "FEISHU_APP_ID": APP_ID,
                    "FEISHU_APP_SECRET": APP_SECRET, "FEISHU_VERIFICATION_TOKEN":
                    VERIFICATION_TOKEN, "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
                    "FEISHU_DOMAIN": lark.base_url, "FEISHU_PORT": str(self.port),
                    "REMINDERS_POLICY_FILE": str(quiet_week_policy())}
        self.env.pop("TELEGRAM_BOT_TOKEN", None)
        self.cwd, self.process = cwd, None
        self.url = f"http://127.0.0.1:{self.port}/feishu/events"

    def _spawn(self) -> None:
        with (self.cwd / "bot.log").open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "interview_bot", "run"],
                                            env=self.env, cwd=self.cwd, stdout=log,
                                            stderr=subprocess.STDOUT)

    async def start(self) -> None:
        self._spawn()
        assert self.process is not None
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                assert self.process.poll() is None, (self.cwd / "bot.log").read_text()
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise AssertionError("the bot never opened its Feishu callback")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


async def test_kill_9_loses_nothing_and_applies_nothing_twice(db_url: str,
                                                             tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    settings = Settings(database=DatabaseSettings(url=db_url))
    lark = LocalFeishu()
    await lark.start()
    bot = BotProcess(db_url, lark, tmp_path)
    try:
        await rep_on_feishu(settings, utcnow())
        await bot.start()
        flow = shipped()["post_call"]
        inputs = ["/debrief Acme Ltd", *script(flow, DEBRIEF)]
        for n, typed in enumerate(inputs):
            before = len(lark.to(REP))
            event = text_event(REP, typed)
            if n == KILL_DURING:
                taking = asyncio.ensure_future(push(bot.url, event))
                await asyncio.sleep(0.005)
                bot.kill()
                with contextlib.suppress(aiohttp.ClientError):
                    await taking  # perhaps acknowledged, perhaps not: Feishu sends it again
                await bot.start()
                assert (await push(bot.url, event))[0] == 200
            else:
                assert (await push(bot.url, event))[0] == 200
                if n in KILL_AFTER:
                    bot.kill()
                    await bot.start()
            await lark.wait_for(lambda seen=before: len(lark.to(REP)) > seen, 30)
        await lark.wait_for(lambda: any("复盘已保存" in t or "Debrief saved" in t
                                        for t in lark.texts(REP)), 30)
    finally:
        bot.stop()
        await lark.stop()
    async with open_app(settings) as app, app.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Acme Ltd"))
        assert customer is not None
        rows = (await session.scalars(select(Answer.question_id).where(
            Answer.customer_id == customer.id, Answer.superseded_at.is_(None)))).all()
        assert sorted(rows) == sorted(answered(flow, DEBRIEF))  # each once, none lost

