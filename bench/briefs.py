"""M11: the brief and the deal warnings (issue 27), on SQLite and PostgreSQL, side by side.

- `/brief` for a customer with 50 completed debriefs (every question of `post_call`
  answered each time, 3 contacts, 20 notes), p50/p99 of the use case behind it (read, rules,
  warnings, the lines a chat message is made of), beside `/card` for the same customer.
  Target: p99 <= 50 ms.
- The warnings pass over 20,000 open customers (grades, contacts, debriefs with a timeline,
  budget and need-payoff answers, notes, overdue follow-ups, a few customer answers that
  contradict the rep's), the first pass (opening every warning) and the next ones (nothing
  changed), beside the reminder planning pass it runs after. Target: <= 2 s.

    python -m bench.briefs          # writes bench/RESULTS-M11.md
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import insert, select, text

from bench.bots import PG_ADMIN, _admin, drop_database
from bench.session import p50_p99_ms
from conversation.brief_lines import brief_lines
from conversation.staff_commands import card_lines
from flows.loader import default_flow_dir, load_paths
from flows.model import Flow, QuestionType
from scheduler.planning import Planner
from scheduler.policy import load_policy
from services.briefing import read_brief
from services.card_view import read_card
from services.deal_watch import watch_deals
from services.interview_service import InterviewService
from storage import migrate
from storage.crypto import Cipher
from storage.database import create_engine, session_factory
from storage.models import Answer, Contact, Customer, Interview, Note, Reminder, User

CUSTOMERS = int(os.environ.get("BENCH_M11_CUSTOMERS", 20_000))
REPS = 20
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
RUNS = 100
PASSES = 5
HERE = Path(__file__).resolve().parent
CIPHER = Cipher([Fernet.generate_key().decode()], "bench-blind-index-" + "k" * 32)  # as in prod


def _value(question: Any, n: int) -> Any:
    kind = question.type
    if kind == QuestionType.CHOICE and question.choices:
        return question.choices[n % len(question.choices)].id
    if kind == QuestionType.MULTI_CHOICE and question.choices:
        return [question.choices[0].id]
    if kind == QuestionType.YES_NO:
        return "yes" if n % 2 else "no"
    if kind in (QuestionType.NUMBER, QuestionType.INTEGER, QuestionType.SCALE):
        return 3
    if kind == QuestionType.DATE:
        return (NOW.date() + timedelta(days=7)).isoformat()
    return f"第 {n} 次拜访的记录 notes"


async def _heavy_customer(sessions: Any, flow: Flow) -> int:
    """Customer #1: 50 debriefs, every question answered, 3 contacts, 20 notes."""
    async with sessions.begin() as s:
        for k, role in enumerate(("influencer", "user", "other")):
            s.add(Contact(customer_id=1, name=f"联系人 {k}", title="经理", decision_role=role,
                          created_at=NOW, updated_at=NOW))
        for k in range(20):
            s.add(Note(customer_id=1, author_id=2, text=f"备注 {k}",
                       created_at=NOW - timedelta(days=k)))
        for n in range(50):
            at = NOW - timedelta(days=50 - n)
            interview = Interview(id=CUSTOMERS + 1 + n,  # seeded ids: the sequence never ran
                                  flow_id=flow.id, flow_version=str(flow.version),
                                  fingerprint="x",
                                  customer_id=1, respondent_key="tg:2", respondent_user_id=2,
                                  language="zh", status="completed", state={"answers": {}},
                                  started_at=at, updated_at=at, completed_at=at)
            s.add(interview)
            await s.flush()
            for question in flow.questions:
                s.add(Answer(interview_id=interview.id, customer_id=1,
                             question_id=question.id, stage=question.stage,
                             maps_to=question.maps_to, value=_value(question, n),
                             answered_by="tg:2", answered_at=at))
    return 1


async def seed(url: str, flow: Flow) -> None:
    engine = create_engine(url, cipher=CIPHER)
    await migrate.upgrade(engine)
    rng = random.Random(11)
    async with engine.begin() as c:
        await c.execute(insert(User), [
            {"id": i, "name": f"Rep {i}", "role": "rep" if i > 1 else "manager",
             "language": "zh", "active": True, "manager_id": 1 if i > 1 else None,
             "created_at": NOW} for i in range(1, REPS + 2)])
    sessions = session_factory(engine)
    for first in range(0, CUSTOMERS, 5_000):
        ids = range(first + 1, min(first + 5_000, CUSTOMERS) + 1)
        async with sessions.begin() as s:
            await s.execute(insert(Customer), [
                {"id": n, "name": f"客户 {n} 有限公司", "name_key": f"客户{n}", "tags": [],
                 "owner_id": 2 + n % REPS, "grade": "ABCDE"[n % 5],
                 "budget": "500k_1m" if n % 3 == 0 else None,
                 "created_at": NOW - timedelta(days=rng.randint(1, 400)), "updated_at": NOW}
                for n in ids])
            await s.execute(insert(Contact), [
                {"customer_id": n, "name": f"联系人 {n}-{k}", "created_at": NOW,
                 "updated_at": NOW, "decision_role": "decision_maker" if k == 1 else "user"}
                for n in ids for k in range(n % 3)])
            await s.execute(insert(Note), [
                {"customer_id": n, "text": "跟进中", "created_at": NOW - timedelta(days=n % 60)}
                for n in ids if n % 4 == 0])
            await s.execute(insert(Reminder), [
                {"kind": "follow_up", "customer_id": n, "recipient_id": 2 + n % REPS,
                 "due_at": NOW - timedelta(days=n % 10), "status": "pending",
                 "dedupe_key": f"follow_up:seed:{n}", "payload": {}, "attempts": 0,
                 "created_at": NOW, "updated_at": NOW} for n in ids if n % 7 == 0])
            interviews = [
                {"id": n, "flow_id": "post_call", "flow_version": "3", "fingerprint": "x",
                 "customer_id": n, "respondent_key": f"tg:{2 + n % REPS}",
                 "respondent_user_id": None if n % 50 == 0 else 2 + n % REPS,
                 "language": "zh", "status": "completed", "state": {"answers": {}},
                 "started_at": NOW, "updated_at": NOW,
                 "completed_at": NOW - timedelta(days=n % 90)} for n in ids if n % 5]
            await s.execute(insert(Interview), interviews)
            await s.execute(insert(Answer), [
                {"interview_id": i["id"], "customer_id": i["customer_id"], "question_id": q,
                 "stage": stage, "maps_to": maps_to, "value": value,
                 "answered_by": i["respondent_key"],
                 "answered_at": NOW - timedelta(days=i["customer_id"] % 120)}
                for i in interviews
                for q, stage, maps_to, value in (
                    ("timeline", "need_payoff", "deal.timeline",
                     ("within_1_month", "within_3_months")[i["customer_id"] % 2]),
                    ("budget", "need_payoff", "deal.budget", "over_1m"),
                    ("pain_detail", "pain_point", None, "订单经常丢"))])
    await _heavy_customer(sessions, flow)
    async with engine.begin() as c:
        await c.execute(text("ANALYZE"))
    await engine.dispose()


async def timings(url: str, flows: dict[str, Flow]) -> dict[str, tuple[float, float]]:
    engine = create_engine(url, cipher=CIPHER)
    sessions = session_factory(engine)
    policy = load_policy()
    planner = Planner(policy, "Asia/Shanghai")
    service = InterviewService(flows, lambda: NOW, "Asia/Shanghai", planner,
                               brief_rules=policy.brief, warning_rules=policy.warnings)
    zone = ZoneInfo("Asia/Shanghai")
    out: dict[str, tuple[float, float]] = {}
    gc.collect()
    gc.freeze()  # as the bot does after its start: the seeding's objects are not scanned
    try:
        async with sessions() as s:
            customer = await s.get(Customer, 1)
        assert customer is not None
        brief, card = [], []
        for n in range(RUNS + 5):
            async with sessions.begin() as s:
                t = time.perf_counter()
                lines = brief_lines(await read_brief(s, service, customer, "zh", reader="bench",
                                                     channel="bench", now=NOW),
                                    flows, "zh", zone)
                spent = time.perf_counter() - t
                t = time.perf_counter()
                card_text = card_lines(await read_card(s, service, customer, "zh",
                                                       reader="bench", channel="bench",
                                                       now=NOW), flows, "zh")
                if n >= 5:
                    brief.append(spent)
                    card.append(time.perf_counter() - t)
        assert len(lines) > 10 and card_text
        out["/brief, 50 debriefs"] = p50_p99_ms(brief)
        out["/card, same customer"] = p50_p99_ms(card)
        watch: list[float] = []
        plans: list[float] = []
        first, watched = 0.0, None
        for n in range(PASSES + 1):
            async with sessions.begin() as s:
                t = time.perf_counter()
                watched = await watch_deals(s, service, NOW + timedelta(minutes=n))
                spent = time.perf_counter() - t
            if n == 0:
                first, opened = spent, watched.opened
            else:
                watch.append(spent)
            if n < 2:  # the planning pass is slow at this size: two are enough to see it
                async with sessions.begin() as s:
                    t = time.perf_counter()
                    await planner.plan(s, NOW + timedelta(minutes=n))
                    plans.append(time.perf_counter() - t)
        assert watched is not None
        out[f"warnings pass, first ({opened:,} opened)"] = (first * 1000, first * 1000)
        out[f"warnings pass, next ({watched.customers:,} customers, "
            f"{watched.open:,} open)"] = (statistics.median(watch) * 1000, max(watch) * 1000)
        out["reminder planning pass, beside it"] = (statistics.median(plans[1:]) * 1000,
                                                    max(plans[1:]) * 1000)
        async with sessions() as s:
            assert (await s.scalar(select(Customer.id).where(Customer.id == CUSTOMERS)))
    finally:
        await engine.dispose()
    return out


async def run(work: Path) -> dict[str, dict[str, tuple[float, float]]]:
    database = f"bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{database}"')
    pg = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    urls = {"SQLite": f"sqlite+aiosqlite:///{work / 'briefs.db'}",
            "PostgreSQL": f"{pg}/{database}"}
    flows = load_paths([default_flow_dir()])
    results = {}
    try:
        for kind, url in urls.items():
            t = time.perf_counter()
            await seed(url, flows["post_call"])
            print(f"M11 seeded {CUSTOMERS:,} customers on {kind} in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
            results[kind] = await timings(url, flows)
            print(f"M11 {kind}: {results[kind]}", flush=True)
    finally:
        await drop_database(database)
    return results


def markdown(results: dict[str, dict[str, tuple[float, float]]]) -> str:
    lines = [f"# M11: the brief and the deal warnings ({CUSTOMERS:,} customers)", "",
             f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.briefs`, "
             "encryption on. The brief and the card: "
             f"{RUNS} reads after 5 to warm up, p50 and p99; the passes: the first, then the "
             f"median and the slowest of {PASSES} (the planning pass: the second). "
             "Targets: /brief p99 ≤ 50 ms, the warnings "
             "pass ≤ 2 s.", "",
             "| database | measure | p50 / median ms | p99 / max ms | target |",
             "|---|---|---|---|---|"]
    for kind, measures in results.items():
        for name, (mid, top) in measures.items():
            target = ("met" if top <= 50 else "NOT met") if name.startswith("/brief") else \
                ("met" if top <= 2000 else "NOT met") if name.startswith("warnings") else ""
            lines.append(f"| {kind} | {name} | {mid:.1f} | {top:.1f} | {target} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(run(Path(tmp)))
    (HERE / "RESULTS-M11.md").write_text(markdown(found), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS-M11.md'}")
