"""Two bot processes in webhook mode on one PostgreSQL, as behind a load balancer: the
updates of the same interviews arrive alternately at both, and every answer is stored
once, in order."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.webhook import SECRET_HEADER, WEBHOOK_PATH
from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings
from storage import accounts, customers
from storage.models import Answer, InboxUpdate, Interview, utcnow
from tests import scripts
from tests.bot.harness import quiet_week_policy
from tests.local_bot_api import TOKEN, LocalBotApi
from tests.ports import free_port
from tests.scripts import answered, script, shipped

REPS = 6
SECRET = "replica-s3cret"
# a debrief typed in full: first visit, met Zhang San (decision maker), situation only,
# notes skipped, budget skipped, timeline within a month (confirmed), competitors
# skipped, send a proposal, medium priority, grade skipped, next contact in 7 days
_DEBRIEF = {**scripts.POST_CALL, "priority": "2", "next_contact": "in 7 days"}
DEBRIEF = script(shipped()["post_call"], _DEBRIEF)
QUESTIONS = answered(shipped()["post_call"], _DEBRIEF)


def replica(db_url: str, api: LocalBotApi, port: int, cwd: Path,
            name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_SERVER": api.base_url, "TELEGRAM_WEBHOOK_URL": "http://lb.example",
           "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_WEBHOOK_PORT": str(port),
           "REMINDERS_POLICY_FILE": str(quiet_week_policy())}
    log = (cwd / f"{name}.log").open("wb")
    try:
        return subprocess.Popen([sys.executable, "-m", "interview_bot", "run", "--webhook"],
                                env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def update(update_id: int, user: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id, "date": 1_790_000_000, "text": text,
        "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": f"Rep{user}", "language_code": "en"}}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_webhook_replicas_store_every_answer_once_in_order(
        db_url: str, tmp_path: Path) -> None:
    settings = Settings(database=DatabaseSettings(url=db_url))
    async with open_app(settings) as app, app.sessions.begin() as s:
        for n in range(REPS):
            rep = await accounts.add_user(s, telegram_id=7000 + n, name=f"Rep {n}", role="rep",
                                          now=utcnow())
            await customers.create(s, f"Customer {n}", utcnow(), owner_id=rep.id)
    api = LocalBotApi()
    await api.start()
    ports = [free_port(), free_port()]
    procs = [replica(db_url, api, port, tmp_path, f"replica{i}") for i, port in enumerate(ports)]
    try:
        async with aiohttp.ClientSession() as http:
            await _until_up(http, ports, procs, tmp_path)
            # every rep's messages, interleaved across reps, alternately to each replica,
            # sent without waiting for replies (as a load balancer would pass them on)
            ids = itertools.count(1)
            script = [(7000 + n, text) for step in ["/debrief Customer {n}", *DEBRIEF]
                      for n in range(REPS) for text in [step.format(n=n)]]
            sends = []
            for i, (user, text) in enumerate(script):
                target = ports[i % 2]
                sends.append(_post(http, target, update(next(ids), user, text)))
            statuses = await asyncio.gather(*sends)
            assert set(statuses) == {200}
            await _until_done(settings, len(script))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)
        await api.stop()
    async with open_app(settings) as app, app.sessions() as s:
        rows = (await s.execute(select(Interview.respondent_key, Interview.status,
                                       Interview.id))).all()
        assert sorted(r[1] for r in rows) == ["completed"] * REPS
        for key, _, interview_id in rows:
            answers = (await s.scalars(select(Answer).where(
                Answer.interview_id == interview_id).order_by(Answer.id))).all()
            assert [a.question_id for a in answers] == QUESTIONS, key  # once each, in order
            assert answers[1].value == "Zhang San"
    for n in range(REPS):  # and each rep saw a reply to every message, in order
        texts = api.texts(7000 + n)
        assert re.search(r" 1/≤?\d+\n\nWhat kind of contact was this\?", texts[0]), texts[:2]
        assert re.search(r" 2/≤?\d+\n\nWho was your main contact", texts[1]), texts[:2]
        assert texts[-1].startswith("Debrief saved."), texts[-1]


async def _post(http: aiohttp.ClientSession, port: int, body: dict[str, Any]) -> int:
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    async with http.post(url, json=body, headers={SECRET_HEADER: SECRET}) as response:
        return response.status


async def _until_up(http: aiohttp.ClientSession, ports: list[int],
                    procs: list[subprocess.Popen[bytes]], logs: Path) -> None:
    for port, proc in zip(ports, procs, strict=True):
        for _ in range(300):
            if proc.poll() is not None:
                raise AssertionError((logs / "replica0.log").read_text()
                                     + (logs / "replica1.log").read_text())
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"replica on port {port} never came up")


async def _until_done(settings: Settings, count: int) -> None:
    async with open_app(settings) as app:
        for _ in range(600):
            async with app.sessions() as s:
                done = await s.scalar(select(func.count()).select_from(InboxUpdate).where(
                    InboxUpdate.status == "done"))
            if done == count:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"only {done} of {count} updates were handled")
