"""SIGKILL the bot process at chosen points of a scripted debrief; nothing acknowledged is lost.

The kill points, seen from the Bot API server: just after a getUpdates that hands
over an answer (fetched, maybe not stored), at the next getUpdates (stored, so
confirmed), when the reply is being sent (processed, reply not delivered), and
right after the reply was delivered.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from interview_bot.app import open_app
from storage import accounts
from storage.models import Answer, Interview, utcnow
from tests.bot.harness import REP, bot_settings
from tests.bot.test_reliability import BURST_FLOWS
from tests.local_bot_api import TOKEN, Call, LocalBotApi

KILLS = {3: "fetched", 7: "stored", 11: "replying", 15: "replied"}


class BotProcess:
    def __init__(self, api: LocalBotApi, env: dict[str, str], cwd: Path, framework: str) -> None:
        self.api, self.env, self.cwd, self.framework = api, env, cwd, framework
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        log = (self.cwd / f"bot-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "interview_bot", "run", "--framework", self.framework],
            env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def wait_dead(self) -> None:
        if self.proc is not None:
            await asyncio.to_thread(self.proc.wait, 10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_sigkill_at_every_stage_loses_and_doubles_nothing(framework: str,
                                                                tmp_path: Path) -> None:
    flows = tmp_path / "flows.yaml"
    flows.write_text(BURST_FLOWS, encoding="utf-8")
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    api = LocalBotApi()
    await api.start()
    settings = bot_settings(db_url, api, [flows])
    async with open_app(settings) as app, app.sessions.begin() as session:
        await accounts.add_user(session, telegram_id=REP, name="Rep", role="rep", now=utcnow())
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_SERVER": api.base_url,
           "DATABASE_URL": db_url, "TELEGRAM_POLL_SECONDS": "1",
           "INTERVIEW_FLOWS": json.dumps([str(flows)]), "PYTHONUNBUFFERED": "1"}
    bot = BotProcess(api, env, tmp_path, framework)
    armed: dict[str, int] = {}  # kill point -> update id it waits for

    def hook(call: Call) -> None:
        point, target = next(iter(armed.items()), (None, 0))
        if point is None:
            return
        loop = asyncio.get_running_loop()
        if point == "fetched" and call.method == "getUpdates" and any(
                u["update_id"] == target for u in api.updates if u["update_id"] >= api.confirmed):
            armed.clear()
            loop.call_later(0.01, bot.kill)  # after the batch is handed over
        elif point == "stored" and call.method == "getUpdates" and int(
                call.params.get("offset") or 0) > target:
            armed.clear()
            bot.kill()
        elif point == "replying" and call.method == "sendMessage":
            armed.clear()
            bot.kill()  # before the reply reaches Telegram
        elif point == "replied" and call.method == "sendMessage":
            armed.clear()
            loop.call_later(0.05, bot.kill)  # just after it did

    api.hook = hook
    try:
        bot.start()
        await api.wait_for(lambda: any(c.method == "getMe" for c in api.calls), 30)
        await ask(api, bot, "/debrief Crash Test Ltd", "Create")
        await ask(api, bot, None, "Q00", tap="new:1")
        for i in range(20):
            expected = f"Q{i + 1:02d}" if i < 19 else "Debrief saved."
            if i in KILLS:
                before = len(api.texts(REP))
                armed[KILLS[i]] = api.push_text(REP, f"answer-{i:02d}")
                await wait_reply_with_restarts(api, bot, before, expected)
            else:
                await ask(api, bot, f"answer-{i:02d}", expected)
    finally:
        bot.kill()
        await bot.wait_dead()
        await api.stop()
    assert bot.starts == 1 + len(KILLS)
    # replies are delivered at least once: a kill between sending and recording it repeats one
    prompts = [t for t in api.texts(REP) if "Twenty questions" in t]
    assert len(prompts) - len(set(prompts)) <= len(KILLS)
    async with open_app(settings) as app, app.sessions() as session:
        rows = (await session.scalars(select(Answer).order_by(Answer.id))).all()
        assert [r.value for r in rows] == [f"answer-{i:02d}" for i in range(20)]
        assert all(r.superseded_at is None for r in rows)
        statuses = (await session.scalars(select(Interview.status))).all()
        assert statuses == ["completed"]


async def ask(api: LocalBotApi, bot: BotProcess, text: str | None, expected: str,
              tap: str = "") -> None:
    before = len(api.texts(REP))
    if text is not None:
        api.push_text(REP, text)
    else:
        data = next(d for label, d in api.last_buttons(REP) if tap in (label, d))
        api.push_tap(REP, api.last_message_id(REP), data)
    await wait_reply_with_restarts(api, bot, before, expected)


async def wait_reply_with_restarts(api: LocalBotApi, bot: BotProcess, before: int,
                                   expected: str) -> None:
    """Wait for the reply containing `expected`; whenever the process died, start it again."""
    deadline = asyncio.get_running_loop().time() + 60

    def arrived() -> bool:
        return any(expected in t for t in api.texts(REP)[before:])

    while not arrived():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no {expected!r}; last texts {api.texts(REP)[-2:]}")
        if not bot.alive():
            await bot.wait_dead()
            bot.start()
        try:
            await api.wait_for(lambda: arrived() or not bot.alive(), 0.5)
        except AssertionError:
            continue
