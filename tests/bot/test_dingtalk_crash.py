"""DingTalk under `kill -9`: the real `interview-bot run` process, killed right after a
message's frame is acknowledged and while one is being taken, then started again. DingTalk
does not push an acknowledged message again, so what was acknowledged must be in the inbox
already; one that was not is pushed again (a new frame, the same msgId) and applied once.
Nothing a rep sent is lost or applied twice, and every message gets its reply."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import select

from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings
from storage.models import Answer, Customer, utcnow
from tests.bot.harness import quiet_week_policy
from tests.bot.test_dingtalk import DEBRIEF, REP, rep_on_dingtalk
from tests.local_dingtalk import CLIENT_ID, CLIENT_SECRET, LocalDingTalk, robot_message
from tests.scripts import answered, script, shipped

KILL_AFTER = {4}  # the input after whose acknowledgement the process is killed
KILL_DURING = 9  # the input the process is killed while taking


class BotProcess:
    def __init__(self, db_url: str, ding: LocalDingTalk, cwd: Path) -> None:
        self.ding = ding
        self.env = {**os.environ, "DATABASE_URL": db_url, "DINGTALK_CLIENT_ID": CLIENT_ID,
                    "DINGTALK_CLIENT_SECRET": CLIENT_SECRET,
                    "DINGTALK_OPENAPI_ENDPOINT": ding.base_url,
                    "DINGTALK_OAPI_ENDPOINT": ding.base_url,
                    "REMINDERS_POLICY_FILE": str(quiet_week_policy())}
        for other in ("TELEGRAM_BOT_TOKEN", "FEISHU_APP_ID"):
            self.env.pop(other, None)
        self.cwd, self.process = cwd, None

    def _spawn(self) -> subprocess.Popen[bytes]:
        with (self.cwd / "bot.log").open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "interview_bot", "run"],
                                            env=self.env, cwd=self.cwd, stdout=log,
                                            stderr=subprocess.STDOUT)
        return self.process

    async def start(self) -> None:
        opened = self.ding.opens
        process = self._spawn()
        await self.ding.wait_for(lambda: (self.ding.opens > opened and bool(self.ding.sockets))
                                 or process.poll() is not None, 60)
        assert process.poll() is None, (self.cwd / "bot.log").read_text()

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


async def test_kill_9_loses_nothing_acknowledged_and_applies_nothing_twice(
        db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    settings = Settings(database=DatabaseSettings(url=db_url))
    ding = LocalDingTalk()
    await ding.start()
    bot = BotProcess(db_url, ding, tmp_path)
    try:
        await rep_on_dingtalk(settings, utcnow())
        await bot.start()
        flow = shipped()["post_call"]
        inputs = ["/debrief Acme Ltd", *script(flow, DEBRIEF)]
        for n, typed in enumerate(inputs):
            before = len(ding.to(REP))
            msg_id = f"msg{uuid.uuid4().hex}"
            frame = await ding.push(robot_message(REP, typed, msg_id=msg_id))
            if n == KILL_DURING:
                await asyncio.sleep(0.003)
                bot.kill()
                acknowledged = frame in ding.acks
                await bot.start()
                if not acknowledged:  # not taken: DingTalk pushes it again, same msgId
                    frame = await ding.push(robot_message(REP, typed, msg_id=msg_id))
                    await ding.wait_for(lambda f=frame: f in ding.acks, 30)
            else:
                await ding.wait_for(lambda f=frame: f in ding.acks, 30)
                if n in KILL_AFTER:
                    bot.kill()  # acknowledged: DingTalk will not push it again
                    await bot.start()
            await ding.wait_for(lambda seen=before: len(ding.to(REP)) > seen, 30)
        await ding.wait_for(lambda: any("复盘已保存" in s.text or "Debrief saved" in s.text
                                        for s in ding.to(REP)), 30)
    finally:
        bot.stop()
        await ding.stop()
    async with open_app(settings) as app, app.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Acme Ltd"))
        assert customer is not None
        rows = (await session.scalars(select(Answer.question_id).where(
            Answer.customer_id == customer.id, Answer.superseded_at.is_(None)))).all()
        assert sorted(rows) == sorted(answered(flow, DEBRIEF))  # each once, none lost
