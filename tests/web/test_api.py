"""The read API over HTTP to the real web app, on SQLite and PostgreSQL: who sees what, tokens
refused, a walk through 20,000 customers while more are added, ETags, the rate limit, the
audit trail, and the OpenAPI document checked against real responses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, insert, select

from services import api_access
from storage import accounts
from storage.models import AuditEntry, Customer, User
from tests import scripts
from tests.conftest import FakeClock
from tests.ports import free_port
from tests.scripts import script, shipped
from tests.storage.helpers import REP, Harness, harness
from tests.storage.test_interviews import drive
from web.api import BUCKETS
from web.pages import Dashboard
from web.server import make_app

CLI = {"actor": "cli", "channel": "cli"}


@dataclass
class Api:
    h: Harness
    base: str
    app: web.Application
    http: aiohttp.ClientSession
    people: dict[str, User]
    customers: dict[str, int]  # name -> id

    async def token(self, who: str, days: int = 30) -> str:
        async with self.h.sessions.begin() as s:
            _, raw = await api_access.create_token(s, user_id=self.people[who].id, name=who,
                                                   days=days, now=self.h.clock(), **CLI)
        return raw

    async def get(self, path: str, token: str | None,
                  **headers: str) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.get(self.base + path, headers=headers) as reply:
            body = await reply.json() if reply.content_type == "application/json" else None
            return reply.status, body, reply.headers


@pytest.fixture
async def api(db_url: str, shipped_flows: dict, clock: FakeClock) -> AsyncIterator[Api]:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            admin = await accounts.add_user(s, telegram_id=9001, name="Admin", role="admin",
                                            now=clock())
            manager = await accounts.add_user(s, telegram_id=8001, name="李娜", role="manager",
                                              now=clock())
            wang = await accounts.add_user(s, telegram_id=7001, name="王芳", role="rep",
                                           now=clock(), manager_id=manager.id)
            zhao = await accounts.add_user(s, telegram_id=7002, name="赵强", role="rep",
                                           now=clock())
            owned = {}
            for name, owner in (("华东精密机械有限公司", wang), ("Acme Ltd", wang),
                                ("北方重工", zhao)):
                customer = await h.service.create_customer(s, name, REP, owner_id=owner.id)
                owned[name] = customer.id
        app = make_app(Dashboard(h.sessions, shipped_flows, clock, "Asia/Shanghai"))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as http:
                yield Api(h, f"http://127.0.0.1:{port}/api/v1", app, http,
                          {"admin": admin, "manager": manager, "wang": wang, "zhao": zhao},
                          owned)
        finally:
            await runner.cleanup()


async def test_each_token_reads_what_its_person_may_see(api: Api) -> None:
    ids = api.customers
    seen = {}
    for who in ("wang", "zhao", "manager", "admin"):
        status, page, _ = await api.get("/customers", await api.token(who))
        assert status == 200
        seen[who] = {c["name"] for c in page["data"]}
    assert seen["wang"] == {"华东精密机械有限公司", "Acme Ltd"}
    assert seen["zhao"] == {"北方重工"}
    assert seen["manager"] == seen["wang"]  # 王芳 is on 李娜's team, 赵强 is not
    assert seen["admin"] == set(ids)
    wang = await api.token("wang")
    status, body, _ = await api.get(f"/customers/{ids['北方重工']}", wang)
    assert (status, body["error"]) == (403, "not_yours")
    status, body, _ = await api.get("/customers/999999", wang)
    assert (status, body["error"], body["detail"]) == (404, "not_found", "no customer #999999")
    status, found, _ = await api.get("/customers?q=hdjm", wang)  # initials, as in the bot
    assert [c["name"] for c in found["data"]] == ["华东精密机械有限公司"]
    status, body, _ = await api.get("/customers?limit=0", wang)
    assert (status, body["detail"]) == (400, "limit: a whole number from 1 to 500, not '0'")
    status, body, _ = await api.get("/customers?cursor=zzz", wang)
    assert (status, body["error"]) == (400, "bad_cursor")


async def test_a_missing_unknown_revoked_or_expired_token_gets_401(api: Api) -> None:
    assert (await api.get("/customers", None))[1]["error"] == "no_token"
    assert (await api.get("/customers", "ibt_nothing"))[1]["error"] == "bad_token"
    revoked = await api.token("wang")
    async with api.h.sessions.begin() as s:
        [view] = [v for v in await api_access.tokens(s) if v.user_id == api.people["wang"].id]
        await api_access.revoke_token(s, view.id, now=api.h.clock(), **CLI)
    status, body, _ = await api.get("/customers", revoked)
    assert (status, body["error"]) == (401, "revoked")
    short = await api.token("zhao", days=1)
    assert (await api.get("/customers", short))[0] == 200
    api.h.clock.advance(days=1, seconds=1)
    status, body, _ = await api.get("/customers", short)
    assert (status, body["error"]) == (401, "expired")
    assert body["detail"].startswith("this token expired on 2026-11-24")


async def test_a_walk_through_20000_customers_sees_each_once_while_more_are_added(
        api: Api) -> None:
    now = api.h.clock()
    async with api.h.sessions.begin() as s:
        await s.execute(insert(Customer), [
            {"name": f"客户 {n}", "name_key": f"客户 {n}", "tags": [], "created_at": now,
             "updated_at": now} for n in range(20_000)])
    token = await api.token("admin")
    seen: list[int] = []
    cursor, pages = "", 0
    while True:
        status, page, _ = await api.get(f"/customers?limit=500&cursor={cursor}", token)
        assert status == 200, page
        seen += [c["id"] for c in page["data"]]
        pages += 1
        if pages % 10 == 0:  # meanwhile, a rep adds customers
            async with api.h.sessions.begin() as s:
                for n in range(5):
                    await api.h.service.create_customer(s, f"新客户 {pages}-{n}", REP)
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    async with api.h.sessions() as s:
        every = list(await s.scalars(select(Customer.id).order_by(Customer.id)))
    assert len(seen) == len(set(seen))  # no repeats
    assert seen == every  # no gaps: the ones added meanwhile too
    assert len(every) == 20_003 + 5 * (pages // 10)


async def test_an_unchanged_answer_is_304_and_the_rate_limit_says_when_to_come_back(
        api: Api) -> None:
    token = await api.token("wang")
    path = f"/customers/{api.customers['Acme Ltd']}"
    status, _, headers = await api.get(path, token)
    tag = headers["ETag"]
    assert status == 200 and headers["Cache-Control"] == "private, no-cache"
    assert (await api.get(path, token, **{"If-None-Match": tag}))[0] == 304
    async with api.h.sessions.begin() as s:
        card = await s.get(Customer, api.customers["Acme Ltd"])
        assert card is not None
        card.grade = "A"
    status, body, headers = await api.get(path, token, **{"If-None-Match": tag})
    assert status == 200 and body["grade"] == "A" and headers["ETag"] != tag
    buckets = api.app[BUCKETS]
    buckets.rate, buckets.burst = 0.01, 2  # a tight budget, for the test
    buckets.levels.clear()
    statuses = [(await api.get("/customers", token))[0] for _ in range(3)]
    status, body, headers = await api.get("/customers", token)
    assert statuses == [200, 200, 429] and status == 429
    assert body["error"] == "rate_limited" and int(headers["Retry-After"]) >= 1
    other = await api.token("zhao")  # per token: another one is not held back
    assert (await api.get("/customers", other))[0] == 200
    async with api.h.sessions() as s:
        reads = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.channel == "api"))
    assert reads == 6  # every call that got through, the 304 too


async def test_the_openapi_document_describes_the_real_answers(api: Api) -> None:
    h = api.h
    acme = api.customers["Acme Ltd"]
    async with h.sessions.begin() as s:
        turn = await h.service.begin(s, customer_id=acme, flow_id="post_call",
                                     respondent=REP, language="en")
    await drive(h, turn.interview_id, script(shipped()["post_call"], scripts.POST_CALL))
    async with h.sessions.begin() as s:
        await h.planner.plan(s, h.clock() + timedelta(days=40))
    async with api.http.get(api.base + "/openapi.json") as reply:
        document = await reply.json()
    registry = Registry().with_resource("urn:api", Resource.from_contents(
        document, default_specification=DRAFT202012))
    token = await api.token("wang")
    exercised = {
        "/customers": ("/customers?limit=1", "CustomerPage", 200),
        "/customers/{id}": (f"/customers/{acme}", "Card", 200),
        "/customers/{id}/interviews": (f"/customers/{acme}/interviews", "Interviews", 200),
        "/customers/{id}/reminders": (f"/customers/{acme}/reminders", "Reminders", 200),
        "/customers/{id}/warnings": (f"/customers/{acme}/warnings", "Warnings", 200),
    }
    assert set(exercised) == set(document["paths"])
    for path, (url, schema, code) in exercised.items():
        status, body, _ = await api.get(url, token)
        assert status == code, body
        response = document["paths"][path]["get"]["responses"]["200"]
        assert response["content"]["application/json"]["schema"]["$ref"].endswith(schema)
        _validator(schema, registry).validate(body)
    interviews = (await api.get(f"/customers/{acme}/interviews", token))[1]["data"]
    assert interviews[0]["status"] == "completed" and "background" in interviews[0]["answers"]
    status, error, _ = await api.get("/customers/1", "ibt_unknown")
    _validator("Error", registry).validate(error)


def _validator(schema: str, registry: Registry) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"urn:api#/components/schemas/{schema}"},
                                registry=registry)
