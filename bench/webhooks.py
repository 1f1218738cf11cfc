"""M12: webhook delivery and the read API (issue 30), on SQLite and PostgreSQL.

Webhooks: to a local receiver, side by side with a floor: a bare aiohttp client posting the
same signed bodies, as many at once.

- `spread`: EVENTS events, each of its own customer (nothing waits for an earlier event).
- `ordered`: EVENTS events over 50 customers (each customer's next event waits for the
  one before it to be answered).

The receiver runs in its own process and answers 204. Target: >= 500 events/s.

The API: `GET /api/v1/customers` over HTTP to the real web app with API_CUSTOMERS
customers (20 reps, 2 managers), a manager's token and an admin's, pages of 100 from random
cursors and searches; p50 / p99 of API_CALLS calls each. Target: p99 <= 50 ms.

    python -m bench.webhooks          # writes bench/RESULTS-M12.md
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import insert

from bench.bots import PG_ADMIN, _admin, drop_database
from scheduler.hook_delivery import IN_FLIGHT, HookDeliverer, sign
from services import api_access, webhooks
from services.api_reads import cursor_of
from storage import migrate, outbox
from storage.crypto import Cipher
from storage.database import create_engine, session_factory
from storage.models import Customer, User
from storage.reporting import chunks
from web.api import BUCKETS
from web.pages import Dashboard
from web.server import make_app

EVENTS = int(os.environ.get("BENCH_M12_EVENTS", 5_000))
API_CUSTOMERS = int(os.environ.get("BENCH_M12_CUSTOMERS", 20_000))
API_CALLS = 300
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
HERE = Path(__file__).resolve().parent
CIPHER = Cipher([Fernet.generate_key().decode()], "bench-blind-index-" + "k" * 32)
DATA = {"customer": {"id": 1, "name": "华东精密机械有限公司", "grade": "B", "owner_id": 3},
        "answers": {"background": [{"question_id": "call_type", "value": "first_visit"}],
                    "pain_point": [{"question_id": "problems", "value": "手工录入订单 slow"}]},
        "card": {"deal.timeline": "within_3_months"}, "tags": ["priority:high"]}


def _serve(port: int, delay: float = 0.0) -> None:
    answered = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal answered
        await request.read()
        if delay:
            await asyncio.sleep(delay)
            answered += 1
            if answered % 20 == 0:  # the log shows the slow endpoint did receive events
                print(f"slow webhook receiver: {answered} events answered", flush=True)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


SLOW: list[str] = []


def slow_receiver(delay: float = 5.0) -> str:
    """A receiver that takes `delay` seconds to answer each event, in its own process for the
    rest of the run (M1's "slow webhook" contender); its URL."""
    if not SLOW:
        port = 17_000 + os.getpid() % 1000
        multiprocessing.get_context("spawn").Process(
            target=_serve, args=(port, delay), daemon=True).start()
        SLOW.append(f"http://127.0.0.1:{port}/hooks")
    return SLOW[0]


async def _up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.post(url, data=b"{}"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError("the receiver did not start")


async def floor(url: str) -> float:
    """Events/s of a bare client: the same bodies, signed, IN_FLIGHT at a time."""
    secret, queue = "whsec_bench", list(range(EVENTS))
    async with aiohttp.ClientSession() as http:
        async def worker() -> None:
            while queue:
                n = queue.pop()
                body = f'{{"id":"evt_{n}","type":"interview.completed","data":{DATA}}}'.encode()
                headers = {"Content-Type": "application/json",
                           "X-Interview-Signature": sign(secret, int(time.time()), body)}
                async with http.post(url, data=body, headers=headers) as reply:
                    await reply.read()
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return EVENTS / (time.perf_counter() - began)


async def ours(db_url: str, receiver: str, customers: int | None) -> float:
    """Events/s of the deliverer, from events written to all of them delivered."""
    engine = create_engine(db_url, cipher=CIPHER)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        async with sessions.begin() as s:
            await webhooks.add(s, url=receiver, events="*", personal=False, actor="bench",
                               channel="cli", now=NOW)
        for chunk in chunks(list(range(EVENTS)), 1000):
            async with sessions.begin() as s:
                for n in chunk:
                    outbox.add(s, kind="interview.completed",
                               customer_id=(n % customers if customers else n) + 1,
                               data=DATA, personal=None, now=NOW)
        deliverer = HookDeliverer(sessions, lambda: NOW)
        try:
            began = time.perf_counter()
            stats = await deliverer.run_once()
            elapsed = time.perf_counter() - began
        finally:
            await deliverer.close()
        assert stats.sent == EVENTS, stats
        return EVENTS / elapsed
    finally:
        await engine.dispose()


async def _seed_api(sessions: Any) -> tuple[str, str]:
    """API_CUSTOMERS customers over 20 reps of two managers; a manager's and an admin's
    token."""
    async with sessions.begin() as s:
        admin = User(name="Admin", role="admin", created_at=NOW)
        managers = [User(name=f"经理 {m}", role="manager", created_at=NOW) for m in range(2)]
        s.add_all([admin, *managers])
        await s.flush()
        reps = [User(name=f"销售 {r}", role="rep", manager_id=managers[r % 2].id,
                     created_at=NOW) for r in range(20)]
        s.add_all(reps)
        await s.flush()
        rows = [{"name": f"客户 {n} 有限公司", "name_key": f"客户 {n} 有限公司",
                 "search_key": f"客户 {n} 有限公司|kehu {n}|kh{n}", "tags": [],
                 "grade": "ABCDE"[n % 5], "owner_id": reps[n % 20].id, "created_at": NOW,
                 "updated_at": NOW} for n in range(API_CUSTOMERS)]
        for chunk in chunks(rows, 2000):
            await s.execute(insert(Customer), chunk)
        tokens = []
        for user in (managers[0], admin):
            _, raw = await api_access.create_token(s, user_id=user.id, name="bench", days=30,
                                                   actor="bench", channel="cli", now=NOW)
            tokens.append(raw)
    return tokens[0], tokens[1]


async def api_latency(db_url: str) -> dict[str, tuple[float, float]]:
    engine = create_engine(db_url, cipher=CIPHER)
    runner = None
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        manager, admin = await _seed_api(sessions)
        app = make_app(Dashboard(sessions, {}, lambda: NOW, "Asia/Shanghai"))
        app[BUCKETS].rate = app[BUCKETS].burst = 1e9  # the bench measures, not the limit
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = 19_000 + os.getpid() % 1000
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}/api/v1/customers"
        found: dict[str, tuple[float, float]] = {}
        rng = random.Random(12)
        async with aiohttp.ClientSession() as http:
            for who, token in (("manager", manager), ("admin", admin)):
                for shape in ("page", "search"):
                    times = []
                    for n in range(API_CALLS + 10):
                        pick = rng.randrange(API_CUSTOMERS)
                        url = (f"{base}?limit=100&cursor={cursor_of(pick)}" if shape == "page"
                               else f"{base}?q={quote(f'客户 {pick}')}")
                        began = time.perf_counter()
                        async with http.get(url, headers={
                                "Authorization": f"Bearer {token}"}) as reply:
                            await reply.read()
                            assert reply.status == 200, await reply.text()
                        if n >= 10:  # after a warm-up
                            times.append((time.perf_counter() - began) * 1000)
                    times.sort()
                    found[f"{who} {shape}"] = (statistics.median(times),
                                               times[int(len(times) * 0.99) - 1])
        return found
    finally:
        if runner is not None:
            await runner.cleanup()
        await engine.dispose()


async def run(work: Path) -> dict[str, Any]:
    port = 18_000 + os.getpid() % 1000
    receiver = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,),
                                                             daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{port}/hooks"
    results: dict[str, Any] = {}
    try:
        await _up(url)
        for shape, customers in (("spread", None), ("ordered", 50)):
            results[f"floor {shape}"] = await floor(url)
            name = f"m12_{uuid.uuid4().hex[:8]}"
            await _admin(f'CREATE DATABASE "{name}"')
            pg = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            try:
                for kind, db_url in (
                        ("sqlite", f"sqlite+aiosqlite:///{work / f'{name}.db'}"),
                        ("postgresql", f"{pg}/{name}")):
                    results[f"{kind} {shape}"] = await ours(db_url, url, customers)
                    print(f"M12 {kind} {shape}: {results[f'{kind} {shape}']:.0f} events/s",
                          flush=True)
            finally:
                await drop_database(name)
        name = f"m12_{uuid.uuid4().hex[:8]}"
        await _admin(f'CREATE DATABASE "{name}"')
        try:
            for kind, db_url in (("sqlite", f"sqlite+aiosqlite:///{work / f'{name}.db'}"),
                                 ("postgresql", f"{pg}/{name}")):
                results[f"api {kind}"] = await api_latency(db_url)
                print(f"M12 API {kind}: {results[f'api {kind}']}", flush=True)
        finally:
            await drop_database(name)
    finally:
        receiver.terminate()
        receiver.join(10)
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# M12: webhook delivery ({EVENTS:,} events)", "",
             f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.webhooks`: "
             "from the events in the outbox to the last one answered by a local receiver "
             f"(its own process, 204), {IN_FLIGHT} requests in flight per endpoint; the "
             "floor posts the same signed bodies with a bare aiohttp client. `spread`: every "
             "event of its own customer; `ordered`: 50 customers, each one's events one at "
             "a time. Target: ≥ 500 events/s.", "",
             "| shape | floor events/s | SQLite events/s | PostgreSQL events/s | SQLite / floor "
             "| PostgreSQL / floor | target |", "|---|---|---|---|---|---|---|"]
    for shape in ("spread", "ordered"):
        base, lite, pg = (results[f"{k} {shape}"] for k in ("floor", "sqlite", "postgresql"))
        met = "met" if min(lite, pg) >= 500 else "NOT met"
        lines.append(f"| {shape} | {base:.0f} | {lite:.0f} | {pg:.0f} | {lite / base:.2f}× | "
                     f"{pg / base:.2f}× | {met} |")
    lines += ["", f"The read API, `GET /api/v1/customers` with {API_CUSTOMERS:,} customers "
              f"({API_CALLS} calls each after 10 to warm up; `page`: 100 customers from a "
              "random cursor; `search`: a company name). Target: p99 ≤ 50 ms.", "",
              "| database | token | call | p50 ms | p99 ms | target |", "|---|---|---|---|---|---|"]
    for kind in ("sqlite", "postgresql"):
        for key, (mid, top) in results[f"api {kind}"].items():
            who, call = key.split()
            lines.append(f"| {kind} | {who} | {call} | {mid:.1f} | {top:.1f} | "
                         f"{'met' if top <= 50 else 'NOT met'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(run(Path(tmp)))
    (HERE / "RESULTS-M12.md").write_text(markdown(found), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS-M12.md'}")
