"""A debrief finished in Telegram reaches another system: the bot's own scheduler delivers
it to the README's example receiver, run as its own process, which checks the signature."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from interview_bot.app import open_app
from services import webhooks
from storage import accounts, customers
from storage.models import HookDelivery
from tests.bot.harness import REP, running_bot
from tests.hook_receiver import readme_receiver
from tests.ports import free_port
from tests.scripts import POST_CALL, script, shipped

DEBRIEF = script(shipped()["post_call"], {**POST_CALL, "priority": "2",
                                          "next_contact": "in 7 days"})


async def _listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        assert proc.poll() is None, "the README receiver stopped"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the README receiver never listened")


async def test_a_debrief_arrives_once_signed_at_the_readme_receiver(
        framework: str, tmp_path: Path) -> None:
    receiver_file = tmp_path / "receiver.py"
    receiver_file.write_text(readme_receiver(), encoding="utf-8")
    port = free_port()
    async with running_bot(framework, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as bot:
        async with open_app(bot.settings) as app, app.sessions.begin() as s:
            rep = await accounts.add_user(s, telegram_id=REP, name="Rep", role="rep",
                                          now=bot.clock())
            await customers.create(s, "Acme Ltd", bot.clock(), owner_id=rep.id)
            added = await webhooks.add(s, url=f"http://127.0.0.1:{port}/", events="*",
                                       personal=False, actor="cli", channel="cli",
                                       now=bot.clock())
        out = (tmp_path / "received.txt").open("wb")
        access = (tmp_path / "access.log").open("wb")
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled
            [sys.executable, str(receiver_file)], stdout=out, stderr=access,
            env={**os.environ, "HOOK_SECRET": added.secret, "PORT": str(port)})
        try:
            await _listening(port, proc)
            reply = await bot.say(REP, "/debrief Acme Ltd")
            for typed in DEBRIEF:
                reply = await bot.say(REP, typed)
            assert reply.startswith("Debrief saved."), reply
            received = tmp_path / "received.txt"
            for _ in range(400):  # the bot's scheduler delivers every two seconds
                if b"interview.completed" in received.read_bytes():
                    break
                await asyncio.sleep(0.05)
            async with open_app(bot.settings) as app, app.sessions() as s:
                deliveries = list((await s.scalars(select(HookDelivery))).all())
        finally:
            proc.terminate()
            proc.wait(10)
            out.close()
            access.close()
    lines = received.read_text(encoding="utf-8").splitlines()
    kind, _, data = lines[0].partition(" ")
    assert (kind, len(lines)) == ("interview.completed", 1), lines
    event = json.loads(data)
    assert event["customer"]["name"] == "Acme Ltd" and event["interview"]["flow_id"] == "post_call"
    assert {"background", "need_payoff"} <= set(event["answers"])
    assert event["withheld"] == ["answers", "card"]  # contact names: not for this endpoint
    assert "Zhang San" not in data
    posts = (tmp_path / "access.log").read_text(encoding="utf-8").count('"POST / HTTP/1.1" 204')
    assert posts == 1  # one request, accepted (204: the signature held)
    assert [(d.status, d.attempts) for d in deliveries] == [("sent", 1)]
