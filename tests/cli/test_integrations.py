"""`interview-bot hooks` and `interview-bot api`: what an admin types and reads, and a delivery
process killed mid-delivery (`kill -9`): every event still arrives, a repeat with the same
event id."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings
from services import events, webhooks
from storage import customers
from storage.models import HookDelivery, OutboxEvent, User
from tests.cli.conftest import Cli
from tests.hook_receiver import Receiver


async def _events(db_url: str, url: str, count: int) -> list[str]:
    """An endpoint, then `count` customers created (an event each), on the wall clock the
    CLI reads."""
    async with open_app(Settings(database=DatabaseSettings(url=db_url))) as app:
        async with app.sessions.begin() as s:
            await webhooks.add(s, url=url, events="*", personal=False, actor="cli",
                               channel="cli", now=datetime.now(UTC))
        async with app.sessions.begin() as s:
            for i in range(count):
                now = datetime.now(UTC)
                customer = await customers.create(s, f"客户 {i}", now)
                events.customer_created(s, customer, "cli", now)
        async with app.sessions() as s:
            return list(await s.scalars(select(OutboxEvent.event_id).order_by(OutboxEvent.id)))


def test_an_admin_adds_lists_pauses_and_removes_an_endpoint(
        in_process: Callable[[str], Cli], db_url: str) -> None:
    run = in_process(db_url)
    added = run("hooks", "add", "https://crm.example.com/in", "--events",
                "interview.completed,card.changed", "--personal")
    assert added.returncode == 0, added.stderr
    assert "endpoint #1: https://crm.example.com/in" in added.stdout
    assert "events: interview.completed, card.changed; with personal data" in added.stdout
    secret = added.stdout.split("keep it with the receiver): ")[1].strip()
    assert secret.startswith("whsec_") and len(secret) > 40
    listed = run("hooks", "list")
    assert "#1  active   https://crm.example.com/in  events interview.completed,card.changed"\
        "  +personal  pending 0  sent 0  dead 0" in listed.stdout
    assert secret not in listed.stdout  # shown once
    assert run("hooks", "pause", "1").stdout.startswith("endpoint #1 paused")
    assert "#1  paused" in run("hooks", "list").stdout
    assert "removed; 0 undelivered" in run("hooks", "remove", "1").stdout
    assert "No webhook endpoints" in run("hooks", "list").stdout
    refused = run("hooks", "add", "crm.example.com", "--events", "*")
    assert refused.returncode == 2
    assert "'crm.example.com' is not a web address: expected http(s)://host/path" \
        in refused.stderr
    wrong = run("hooks", "add", "https://crm.example.com/in", "--events", "interview.done")
    assert wrong.returncode == 2 and "unknown event 'interview.done'" in wrong.stderr
    assert "no webhook endpoint #7" in run("hooks", "pause", "7").stderr
    assert "No dead deliveries." in run("hooks", "dead").stdout


async def test_kill_9_mid_delivery_loses_nothing_and_repeats_only_with_the_same_id(
        tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
    receiver = Receiver(hold=asyncio.Event(), hold_from=3)  # three answered, then stuck
    await receiver.up()
    try:
        written = await _events(db_url, receiver.url, 6)
        env = {**os.environ, "DATABASE_URL": db_url}
        command = [sys.executable, "-m", "interview_bot", "hooks", "deliver"]
        with (tmp_path / "killed.log").open("wb") as log:
            proc = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled
                command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):
            if len(receiver.got) == 6 or proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert len(receiver.got) == 6 and receiver.answered == 3, proc.poll()
        os.kill(proc.pid, signal.SIGKILL)  # three answered, three in flight, none recorded
        proc.wait(10)
        receiver.hold_from = 1_000_000
        again = await asyncio.to_thread(subprocess.run, command, env=env, cwd=tmp_path,
                                        capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "sent 6, retrying 0, dead 0"
    finally:
        assert receiver.hold is not None
        receiver.hold.set()
        await receiver.down()
    arrived = [r.event["id"] for r in receiver.got]
    assert set(arrived) == set(written)  # every event
    assert sorted(arrived) == sorted(written * 2)  # each twice: sent, killed, sent again
    assert receiver.got[-1].headers["X-Interview-Event-Id"] == receiver.got[-1].event["id"]
    async with open_app(Settings(database=DatabaseSettings(url=db_url))) as app, \
            app.sessions() as s:
        statuses = list(await s.scalars(select(HookDelivery.status)))
    assert statuses == ["sent"] * 6


def test_an_admin_makes_lists_and_revokes_an_api_token(
        in_process: Callable[[str], Cli], db_url: str) -> None:
    run = in_process(db_url)
    assert run("users", "add", "--telegram-id", "7001", "--role", "rep",
               "--name", "王芳").returncode == 0
    made = run("api", "token", "add", "--user", "1", "--name", "CRM sync", "--days", "30")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith('token #1 "CRM sync" reads as 王芳 (rep) until ')
    raw = made.stdout.split("(shown once): ")[1].strip()
    assert raw.startswith("ibt_") and len(raw) > 40
    listed = run("api", "tokens").stdout
    assert listed.startswith("#1  CRM sync  reads as 王芳 (#1, rep)  until ") and raw not in listed
    assert run("api", "token", "revoke", "1").stdout.strip() == "token #1 revoked"
    assert "revoked 20" in run("api", "tokens").stdout
    for args, expected in [
            (("--user", "9", "--name", "x"), "no active member of staff #9"),
            (("--user", "1", "--name", "x", "--days", "0"), "a token lives 1 to 366 days"),
            (("--user", "1", "--name", "  "), "--name: say what the token is for")]:
        refused = run("api", "token", "add", *args)
        assert refused.returncode == 2 and expected in refused.stderr, refused.stderr
    assert "no API token #5" in run("api", "token", "revoke", "5").stderr


async def _released(db_url: str) -> None:
    """王芳's 南方机电 went back to the pool; 北方重工 is still hers."""
    async with open_app(Settings(database=DatabaseSettings(url=db_url))) as app, \
            app.sessions.begin() as s:
        wang = await s.scalar(select(User).where(User.name == "王芳"))
        assert wang is not None
        now = datetime.now(UTC)
        gone = await customers.create(s, "南方机电", now)
        gone.grade, gone.released_at, gone.released_from = "C", now, wang.id
        await customers.create(s, "北方重工", now, owner_id=wang.id)


def test_the_pool_and_a_key_account_from_the_command_line(
        in_process: Callable[[str], Cli], db_url: str) -> None:
    run = in_process(db_url)
    assert run("users", "add", "--telegram-id", "7001", "--role", "rep",
               "--name", "王芳").returncode == 0
    asyncio.run(_released(db_url))
    pooled = run("customers", "pool")
    assert pooled.returncode == 0 and "南方机电\tC\treleased " in pooled.stdout
    assert "from 王芳" in pooled.stdout and "北方重工" not in pooled.stdout
    assert "The pool is empty." in run("customers", "pool", "--grade", "A").stdout
    wrong = run("customers", "pool", "--grade", "X")
    assert wrong.returncode == 2 and "grade: one of A, B, C, D, E, not 'X'" in wrong.stderr
    kept = run("customers", "exempt", "北方重工")
    assert kept.stdout.strip().endswith("never goes back to the pool")
    assert "follows the pool's rules again" in run("customers", "exempt", "北方重工",
                                                    "--off").stdout


def test_an_import_for_one_rep_leaves_another_reps_customer_alone(
        in_process: Callable[[str], Cli], tmp_path: Path) -> None:
    run = in_process(f"sqlite:///{tmp_path / 'i.db'}")
    for telegram_id, name in (("11", "王芳"), ("12", "赵强")):
        assert run("users", "add", "--telegram-id", telegram_id, "--role", "rep",
                   "--name", name).returncode == 0
    (tmp_path / "wang.csv").write_text("客户名称,联系电话\n华东精密机械有限公司,13800138000\n",
                                       encoding="utf-8")
    assert run("customers", "import", "wang.csv", "--owner", "11").returncode == 0
    (tmp_path / "zhao.csv").write_text(
        "客户名称,联系电话\n华东精密机械有限公司,\n北方重工,13900139000\n南方机电,13800138000\n",
        encoding="utf-8")
    done = run("customers", "import", "zhao.csv", "--owner", "12", "--lang", "en")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "1 new customer(s) created" in lines and "  + row 3: 北方重工" in lines
    assert "2 row(s) match another rep's customer (not imported: ask the owner or a manager)" \
        in lines
    assert "  ≠ row 2 → 华东精密机械有限公司 (#1), same company name: 王芳's customer, left as " \
        "it is" in lines
    assert "  ≠ row 4 → 华东精密机械有限公司 (#1), same phone: 王芳's customer, left as it is" \
        in lines
    with sqlite3.connect(tmp_path / "i.db") as conn:
        owned = dict(conn.execute("SELECT c.name, u.name FROM customers c "
                                  "JOIN users u ON u.id = c.owner_id").fetchall())
    assert owned == {"华东精密机械有限公司": "王芳", "北方重工": "赵强"}
