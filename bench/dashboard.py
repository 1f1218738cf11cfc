"""M10: the web dashboard's pages with 20,000 customers, on SQLite and PostgreSQL, over
HTTP against the real app (in this process): p50 and p99 per page, as a manager (a team of
ten reps: 10,000 customers), an admin (everyone) and a rep. Target: p99 <= 100 ms.

    python -m bench.dashboard      # writes bench/RESULTS-M10.md
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import insert, text

from bench.bots import PG_ADMIN, _admin, drop_database
from bench.session import p50_p99_ms
from flows.loader import default_flow_dir, load_paths
from storage import migrate, web_access
from storage.database import create_engine, session_factory
from storage.models import Account, Answer, Contact, Customer, Interview, Note, User
from web.pages import Dashboard
from web.server import make_app

CUSTOMERS = int(os.environ.get("BENCH_M10_CUSTOMERS", 20_000))
REPS = 20
TEAM = list(range(2, 12))  # manager 1 leads reps 2..11; admin is user REPS + 2
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
TODAY = date(2026, 11, 23)
RUNS = 100
HERE = Path(__file__).resolve().parent


async def seed(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    rng = random.Random(10)
    admin = REPS + 2
    async with engine.begin() as c:
        await c.execute(insert(User), [
            {"id": 1, "name": "Manager", "role": "manager",
             "language": "en", "active": True, "manager_id": None, "created_at": NOW},
            *({"id": i, "name": f"Rep {i}", "role": "rep", "language": "en",
               "active": True, "manager_id": 1 if i in TEAM else None, "created_at": NOW}
              for i in range(2, REPS + 2)),
            {"id": admin, "name": "Admin", "role": "admin",
             "language": "en", "active": True, "manager_id": None, "created_at": NOW}])
        await c.execute(insert(Account), [  # everyone on Telegram, their id their user id
            {"channel": "telegram", "external_id": str(i), "address": i, "user_id": i,
             "language": "en", "language_chosen": False, "created_at": NOW, "updated_at": NOW}
            for i in range(1, admin + 1)])
    sessions = session_factory(engine)
    for first in range(0, CUSTOMERS, 5_000):
        async with sessions.begin() as s:
            await s.execute(insert(Customer), [
                {"name": f"客户 {n} 有限公司", "name_key": f"客户{n}",
                 "search_key": f"客户{n}|kehu{n}", "tags": [], "owner_id": 2 + n % REPS,
                 "grade": "ABCDE"[n % 5],
                 "priority": ("high", "medium", "low")[n % 3], "industry": "manufacturing",
                 "employees": 50 + n % 500, "created_at": NOW, "updated_at": NOW,
                 "last_contact_at": NOW - timedelta(days=n % 90),
                 "revisit_due_on": TODAY + timedelta(days=rng.randint(-30, 120))}
                for n in range(first, min(first + 5_000, CUSTOMERS))])
    async with sessions.begin() as s:  # the first 200 customers: a contact, a note, a debrief
        for cid in range(1, 201):
            s.add(Contact(customer_id=cid, name=f"联系人 {cid}", title="CTO",
                          decision_role="decision_maker", created_at=NOW, updated_at=NOW))
            s.add(Note(customer_id=cid, text="钱经理周五前要报价", created_at=NOW))
            interview = Interview(flow_id="post_call", flow_version="2", fingerprint="x",
                                  customer_id=cid, respondent_key=f"tg:{2 + cid % REPS}",
                                  respondent_user_id=2 + cid % REPS, language="zh",
                                  status="completed", state={"answers": {}}, started_at=NOW,
                                  updated_at=NOW, completed_at=NOW - timedelta(days=cid % 28))
            s.add(interview)
            await s.flush()
            for qid, stage, value in (("call_type", "background", "first_visit"),
                                      ("pain_detail", "pain_point", "订单经常丢"),
                                      ("timeline", "need_payoff", "within_3_months")):
                s.add(Answer(interview_id=interview.id, customer_id=cid, question_id=qid,
                             stage=stage, value=value, answered_by=interview.respondent_key,
                             answered_at=NOW))
    async with engine.begin() as c:
        await c.execute(text("ANALYZE"))
    await engine.dispose()


# #6 is rep 7's, in the manager's team. The chart is drawn once, then served from its
# 15-minute cache (the first drawing is timed apart, as `first chart`).
PAGES = ["/team", "/customers", "/customers?q=客户 1234", "/customers?grade=A&overdue=1",
         "/customers/6", "/reps", "/report", "/report.svg"]


async def timings(url: str) -> dict[str, dict[str, tuple[float, float]]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    flows = load_paths([default_flow_dir()])
    runner = web.AppRunner(make_app(Dashboard(sessions, flows, lambda: NOW, "Asia/Shanghai")),
                           access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    out: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        for who, user_id in (("manager", 1), ("admin", REPS + 2), ("rep", 7)):
            async with sessions.begin() as s:
                sid = await web_access.open_session(s, user_id, NOW)
            async with aiohttp.ClientSession(cookies={"ib_session": sid}) as http:
                t = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{port}/report.svg") as response:
                    await response.read()
                first = (time.perf_counter() - t) * 1000
                out.setdefault(who, {})["first chart (/report.svg, drawn)"] = (first, first)
                for page in PAGES:
                    spent = []
                    for n in range(RUNS + 5):
                        t = time.perf_counter()
                        async with http.get(f"http://127.0.0.1:{port}{page}") as response:
                            await response.read()
                            assert response.status == 200, (who, page, response.status)
                        if n >= 5:  # the first five warm the caches
                            spent.append(time.perf_counter() - t)
                    out.setdefault(who, {})[page] = p50_p99_ms(spent)
    finally:
        await runner.cleanup()
        await engine.dispose()
    return out


async def run(work: Path) -> dict[str, dict[str, dict[str, tuple[float, float]]]]:
    database = f"bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{database}"')
    pg = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    urls = {"SQLite": f"sqlite+aiosqlite:///{work / 'dashboard.db'}",
            "PostgreSQL": f"{pg}/{database}"}
    results = {}
    try:
        for kind, url in urls.items():
            await seed(url)
            results[kind] = await timings(url)
            print(f"M10 {kind}: {results[kind]}", flush=True)
    finally:
        await drop_database(database)
    return results


def markdown(results: dict[str, dict[str, dict[str, tuple[float, float]]]]) -> str:
    lines = [f"# M10: dashboard pages with {CUSTOMERS:,} customers",
             "", f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.dashboard`"
             f" ({RUNS} requests per page after 5 to warm up, one client, over HTTP to the app"
             " in the same process). Target: p99 ≤ 100 ms.", "",
             "| database | viewer | page | p50 ms | p99 ms | target |", "|---|---|---|---|---|---|"]
    for kind, viewers in results.items():
        for who, pages in viewers.items():
            for page, (p50, p99) in pages.items():
                met = "met" if p99 <= 100 else ("drawn once per 15 min" if "first" in page
                                                 else "NOT met")
                lines.append(f"| {kind} | {who} | `{page}` | {p50:.1f} | {p99:.1f} | {met} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import tempfile

    os.environ.setdefault("SECURITY_DEMO", "true")
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(run(Path(tmp)))
    (HERE / "RESULTS-M10.md").write_text(markdown(found), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS-M10.md'}")
