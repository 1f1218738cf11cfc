"""The team pool (公海) on SQLite and PostgreSQL under a controlled clock: a customer nobody
works on is warned about, then released once; work resets the clock; a key account never
goes; a teammate claims it within the holding limit; of two claims at once one wins."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from chat.actions import Action
from flows.pool_rules import PoolRules
from scheduler.dispatcher import Dispatcher
from services import card_editing, team_pool
from services.interview_service import Respondent
from storage import accounts
from storage.models import AuditEntry, Customer, Interview, Reminder, User
from tests.conftest import FakeClock
from tests.storage.helpers import Harness, harness

CHANNEL = {"actor": "user:test", "channel": "telegram"}


async def _team(h: Harness) -> tuple[User, User, User, User]:
    """李娜 manages 王芳 and 赵强; 孙丽 is on no team. The pool is on (it ships off)."""
    h.planner.policy.pool.enabled = True
    async with h.sessions.begin() as s:
        manager = await accounts.add_user(s, telegram_id=8001, name="李娜", role="manager",
                                          now=h.clock())
        wang = await accounts.add_user(s, telegram_id=7001, name="王芳", role="rep",
                                       now=h.clock(), manager_id=manager.id)
        zhao = await accounts.add_user(s, telegram_id=7002, name="赵强", role="rep",
                                       now=h.clock(), manager_id=manager.id)
        sun = await accounts.add_user(s, telegram_id=7003, name="孙丽", role="rep",
                                      now=h.clock())
    return manager, wang, zhao, sun


async def _owned(h: Harness, name: str, owner: User, grade: str = "C") -> int:
    async with h.sessions.begin() as s:
        customer = await h.service.create_customer(
            s, name, Respondent(f"tg:{owner.id}", "telegram", owner.id), owner_id=owner.id)
        customer.grade, customer.worked_at = grade, h.clock()
        return customer.id


async def _plan(h: Harness) -> None:
    async with h.sessions.begin() as s:
        await h.planner.plan(s, h.clock())


async def _notices(h: Harness, kind: str) -> list[tuple[int | None, int | None]]:
    async with h.sessions() as s:
        return [(r.customer_id, r.recipient_id) for r in await s.scalars(
            select(Reminder).where(Reminder.kind == kind).order_by(Reminder.id))]


async def test_an_untouched_customer_is_warned_then_released_once(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 10:00 in Shanghai
    async with harness(db_url, shipped_flows, clock) as h:
        manager, wang, _, _ = await _team(h)
        quiet = await _owned(h, "华东精密机械有限公司", wang, grade="C")  # 15 days
        busy = await _owned(h, "Acme Ltd", wang, grade="C")
        async with h.sessions.begin() as s:
            debrief = await h.service.begin(
                s, customer_id=quiet, flow_id="post_call", language="zh",
                respondent=Respondent("tg:7001", "telegram", wang.id))
        clock.advance(days=12)
        async with h.sessions.begin() as s:  # a note on one of them: its clock starts again
            card = await s.get(Customer, busy)
            assert card is not None
            await card_editing.add_note(s, card, "电话沟通，下周报价", author_id=wang.id,
                                        now=clock(), **CHANNEL)
        await _plan(h)
        assert await _notices(h, "pool_warning") == [(quiet, wang.id)]  # 3 days before
        clock.advance(days=3)
        await _plan(h)
        await _plan(h)  # again, as a second replica would: nothing twice
        async with h.sessions() as s:
            released = await s.get(Customer, quiet)
            kept = await s.get(Customer, busy)
            stopped = await s.get(Interview, debrief.interview_id)
            audits = list(await s.scalars(select(AuditEntry.entity_id).where(
                AuditEntry.action == "customer.release")))
            pending = list(await s.scalars(select(Reminder.kind).where(
                Reminder.customer_id == quiet, Reminder.status == "pending")))
        told = (await _notices(h, "pool_released"), await _notices(h, "pool_team"))
        sent: list[str] = []

        async def perform(action: Action) -> int:
            sent.append(getattr(action, "text", ""))
            return len(sent)

        await Dispatcher(h.sessions, perform, clock, h.planner, h.planner.policy).tick()
    digest = next(t for t in sent if t.startswith("📋") or "过去一天" in t)
    assert "过去一天因未跟进退回公海的客户（1 家）：华东精密机械有限公司" in digest
    assert released is not None and kept is not None and stopped is not None
    assert (released.owner_id, released.released_from) == (None, wang.id)
    assert released.released_at == clock() and kept.owner_id == wang.id
    assert stopped.status == "cancelled"  # the rep's unfinished debrief of it
    assert audits == [str(quiet)]
    assert told == ([(quiet, wang.id)], [(None, manager.id)])
    assert sorted(pending) == ["pool_released"]  # its revisit and the rest: cancelled


async def test_a_key_account_stays_and_a_teammate_claims_within_the_limit(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _, wang, zhao, sun = await _team(h)
        h.service.pool_rules = rules = PoolRules(holding_limit=2)
        key = await _owned(h, "北方重工", wang, grade="A")
        gone = await _owned(h, "南方机电", wang, grade="D")
        third = await _owned(h, "西部物流", wang, grade="D")
        async with h.sessions.begin() as s:
            account = await s.get(Customer, key)
            assert account is not None
            await team_pool.exempt(s, account, True, now=clock(), **CHANNEL)
        clock.advance(days=60)
        await _plan(h)
        async with h.sessions() as s:
            entries, total = await team_pool.listing(s, zhao)
            assert (await s.get(Customer, key)).owner_id == wang.id  # type: ignore[union-attr]
            assert (await team_pool.listing(s, sun))[1] == 0  # another team's pool
        assert total == 2 and {e.name for e in entries} == {"南方机电", "西部物流"}
        assert {e.released_from for e in entries} == {"王芳"}
        await _owned(h, "赵强的老客户", zhao)  # zhao holds 1 of 2
        async with h.sessions.begin() as s:
            won = await s.get(Customer, gone)
            assert won is not None
            await team_pool.claim(s, zhao, won, rules=rules, planner=h.planner,
                                  now=clock(), lang="en", **CHANNEL)
        async with h.sessions() as s:
            claimed = await s.get(Customer, gone)
            assert claimed is not None
            assert (claimed.owner_id, claimed.released_at) == (zhao.id, None)
            assert claimed.revisit_due_on is not None  # planned for the new owner
        with pytest.raises(team_pool.PoolError, match="already owns 2 customers, the limit "
                                                      "of 2"):
            async with h.sessions.begin() as s:
                over = await s.get(Customer, third)
                assert over is not None
                await team_pool.claim(s, zhao, over, rules=rules, planner=h.planner,
                                      now=clock(), lang="en", **CHANNEL)
        with pytest.raises(team_pool.PoolError, match="is not in your team's pool"):
            async with h.sessions.begin() as s:
                over = await s.get(Customer, third)
                assert over is not None
                await team_pool.claim(s, sun, over, rules=rules, planner=h.planner,
                                      now=clock(), lang="en", **CHANNEL)


async def _contested(h: Harness) -> tuple[User, User, int]:
    """王芳's 华东精密 in the pool, and two of her teammates, 赵强 and 李雷, who want it."""
    _, wang, zhao, _ = await _team(h)
    async with h.sessions.begin() as s:
        li = await accounts.add_user(s, telegram_id=7004, name="李雷", role="rep",
                                     now=h.clock(), manager_id=wang.manager_id)
    customer_id = await _owned(h, "华东精密", wang, grade="E")
    h.clock.advance(days=11)
    await _plan(h)
    return zhao, li, customer_id


async def test_of_two_claims_at_once_one_wins(db_url: str, shipped_flows: dict,
                                              clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        zhao, li, customer_id = await _contested(h)

        async def take(who: User) -> str:
            try:
                async with h.sessions.begin() as s:
                    customer = await s.get(Customer, customer_id)
                    assert customer is not None
                    await team_pool.claim(s, who, customer, rules=PoolRules(),
                                          planner=None, now=clock(), lang="en", **CHANNEL)
                    await asyncio.sleep(0.05)  # hold the transaction open a moment
                return "won"
            except team_pool.PoolError as exc:
                return str(exc)

        outcomes = await asyncio.gather(take(zhao), take(li))
        async with h.sessions() as s:
            owner = await s.scalar(select(Customer.owner_id).where(Customer.id == customer_id))
            claims = await s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "customer.claim"))
    assert outcomes.count("won") == 1 and owner in (zhao.id, li.id)
    [loser] = [o for o in outcomes if o != "won"]
    assert loser.startswith("华东精密 was just claimed by ") or \
        loser.startswith("华东精密 is not in your team's pool (its owner:"), outcomes
    assert claims == 1



RELEASE = """
import asyncio, sys
from datetime import UTC, datetime
from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings

async def main():
    async with open_app(Settings(database=DatabaseSettings(url=sys.argv[1]))) as app:
        app.planner.policy.pool.enabled = True
        async with app.sessions.begin() as s:
            print("planning", flush=True)
            await app.planner.plan(s, datetime.now(UTC))
        print("done", flush=True)

asyncio.run(main())
"""


async def test_kill_9_during_a_release_pass_loses_and_doubles_nothing(
        db_url: str, shipped_flows: dict, tmp_path: Path) -> None:
    now = datetime.now(UTC)  # the pass below runs in a real process, on the wall clock
    async with harness(db_url, shipped_flows, FakeClock(now)) as h:
        _, wang, _, _ = await _team(h)
        async with h.sessions.begin() as s:
            await s.execute(insert(Customer), [
                {"name": f"客户 {n}", "name_key": f"客户 {n}", "tags": [], "grade": "C",
                 "owner_id": wang.id, "worked_at": now - timedelta(days=40),
                 "created_at": now, "updated_at": now} for n in range(3000)])
    script = tmp_path / "release.py"
    script.write_text(RELEASE, encoding="utf-8")
    command = [sys.executable, str(script), db_url]
    with (tmp_path / "killed.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)  # noqa: ASYNC220
    assert proc.stdout is not None
    line = await asyncio.to_thread(proc.stdout.readline)
    assert line.strip() == b"planning"
    await asyncio.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the pass
    first = (await asyncio.to_thread(proc.stdout.read)).decode()
    proc.stdout.close()
    await asyncio.to_thread(proc.wait, 10)
    again = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                    timeout=120)
    assert again.returncode == 0, again.stderr
    async with harness(db_url, shipped_flows, FakeClock(now)) as h, h.sessions() as s:
        owned = await s.scalar(select(func.count()).select_from(Customer).where(
            Customer.owner_id.is_not(None)))
        audits = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "customer.release"))
        notices = await s.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.kind == "pool_released"))
    assert "done" not in first, first  # the first pass was cut short…
    assert (owned, audits, notices) == (0, 3000, 3000), again.stdout  # …nothing lost, none twice


CLAIM = """
import asyncio, sys, time
from datetime import UTC, datetime
from interview_bot.app import open_app
from interview_bot.settings import DatabaseSettings, Settings
from services import team_pool
from storage.models import Customer, User

async def main():
    url, start = sys.argv[1], float(sys.argv[4])
    user_id, customer_id = int(sys.argv[2]), int(sys.argv[3])
    async with open_app(Settings(database=DatabaseSettings(url=url))) as app:
        await asyncio.sleep(max(0.0, start - time.time()))  # both at the same moment
        try:
            async with app.sessions.begin() as s:
                user, customer = await s.get(User, user_id), await s.get(Customer, customer_id)
                await team_pool.claim(s, user, customer, rules=app.interviews.pool_rules,
                                      planner=app.planner, actor=f"user:{user_id}",
                                      channel="cli", now=datetime.now(UTC), lang="en")
            print("won", flush=True)
        except team_pool.PoolError as exc:
            print(exc, flush=True)

asyncio.run(main())
"""


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_processes_claiming_at_once_give_one_owner(
        db_url: str, shipped_flows: dict, clock: FakeClock, tmp_path: Path) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        zhao, li, customer_id = await _contested(h)
    script = tmp_path / "claim.py"
    script.write_text(CLAIM, encoding="utf-8")
    start = time.time() + 3.0  # both processes are up and connected by then
    runs = [asyncio.to_thread(subprocess.run, [sys.executable, str(script), db_url,
                                               str(who.id), str(customer_id), str(start)],
                              capture_output=True, text=True, timeout=60)
            for who in (zhao, li)]
    outputs = [r.stdout.strip() or r.stderr[-500:] for r in await asyncio.gather(*runs)]
    assert outputs.count("won") == 1, outputs
    [lost] = [o for o in outputs if o != "won"]  # told who has it, as it happened
    assert lost.startswith(("华东精密 was just claimed by ",
                            "华东精密 is not in your team's pool (its owner: ")), outputs
    async with harness(db_url, shipped_flows, clock) as h, h.sessions() as s:
        owner = await s.scalar(select(Customer.owner_id).where(Customer.id == customer_id))
        claims = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "customer.claim"))
    assert owner in (zhao.id, li.id) and claims == 1
