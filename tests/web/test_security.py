"""The probe of issue 24 (point 9), as requests: each weakness it found, sent again, and the
refusal it must now get. Plain HTTP against the real server (no browser needed), on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from services.interview_service import Respondent
from storage import accounts, customers, invites, web_access
from storage.models import Answer, Contact, Invite
from tests.conftest import FakeClock
from tests.ports import free_port
from tests.storage.helpers import Harness, harness
from web.pages import Dashboard
from web.runner import Runner
from web.server import make_app

CLI = Respondent("cli", "cli")
EN = {"Accept-Language": "en"}
HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # keeps cookies of 127.0.0.1, as a browser does


@dataclass
class Server:
    h: Harness
    base: str
    port: int
    rep_cookie: str
    unowned_id: int


@pytest.fixture
async def server(db_url: str, shipped_flows: dict, clock: FakeClock) -> AsyncIterator[Server]:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            rep = await accounts.add_user(s, telegram_id=7001, name="Wang", role="rep",
                                          now=clock())
            unowned = await h.service.create_customer(s, "Carol Trading", CLI)
            person = await customers.new_contact(s, unowned.id, clock())
            person.name, person.phone = "Carol", "+8613800138007"
            sid = await web_access.open_session(s, rep.id, clock())
        runner = Runner(make_app(Dashboard(h.sessions, shipped_flows, clock, "Asia/Shanghai",
                                           interviews=h.service)), access_log=None)
        await runner.setup()
        port = free_port()
        await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield Server(h, f"http://127.0.0.1:{port}", port, sid, unowned.id)
        finally:
            await runner.cleanup()


def as_rep(server: Server) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=jar(), cookies={"ib_session": server.rep_cookie})


async def test_a_rep_cannot_read_a_card_nobody_owns(server: Server) -> None:
    async with as_rep(server) as http, http.get(
            f"{server.base}/customers/{server.unowned_id}") as response:
        page = await response.text()
        assert response.status == 403
    assert "+8613800138007" not in page and "Carol" not in page


async def test_an_id_past_64_bits_is_a_404_with_every_security_header(server: Server) -> None:
    async with as_rep(server) as http, http.get(
            f"{server.base}/customers/9223372036854775808") as response:
        assert response.status == 404
        assert all(h in response.headers for h in HEADERS)
        assert response.headers["Server"] == "interview-bot"  # no versions


async def test_a_malformed_request_echoes_nothing_and_names_no_version(server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /<script>alert(1)</script> HTTP/1.1 EXTRA\r\nHost: x\r\n\r\n")
    await writer.drain()
    answer = (await asyncio.wait_for(reader.read(), 10)).decode("latin-1")
    writer.close()
    assert answer.split()[1] == "400"
    assert "<script>" not in answer and "aiohttp" not in answer and "Python" not in answer
    assert "X-Content-Type-Options: nosniff" in answer


async def test_sign_in_from_another_site_is_refused(server: Server) -> None:
    async with server.h.sessions.begin() as s:
        admin = await accounts.add_user(s, telegram_id=9001, name="Root", role="admin",
                                        now=server.h.clock())
        token = await web_access.make_link(s, admin.id, server.h.clock())
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        for header in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            async with http.post(f"{server.base}/login", data={"token": token},
                                 headers=header, allow_redirects=False) as response:
                assert response.status == 403
                assert "ib_session" not in response.cookies
        async with http.post(f"{server.base}/login", data={"token": token},  # the real one
                             headers={"Origin": server.base, "Sec-Fetch-Site": "same-origin"},
                             allow_redirects=False) as response:
            assert response.status == 303 and "ib_session" in response.cookies


async def _invite(server: Server) -> str:
    async with server.h.sessions.begin() as s:
        _, token = await invites.create(s, customer_id=server.unowned_id, flow_id="pre_meeting",
                                        created_by=None, now=server.h.clock(),
                                        valid_for=timedelta(days=14))
    return f"{server.base}/q/{token}"


async def _answer_until(http: aiohttp.ClientSession, link: str, marker: str) -> str:
    """Skip (or answer "1") until the page shows `marker`; that page."""
    page = await (await http.get(link)).text()
    for _ in range(60):
        if marker in page:
            return page
        at = page.split('name="at" value="', 1)[1].split('"', 1)[0]
        async with http.post(link, data={"at": at, "action": "skip"}) as response:
            page = await response.text()
        if "cannot be skipped" in page:
            async with http.post(link, data={"at": at, "value": "1"}) as response:
                page = await response.text()
    raise AssertionError(f"never reached {marker!r}")


async def test_consent_binds_the_browser_that_gives_it(server: Server) -> None:
    link = await _invite(server)
    async with aiohttp.ClientSession(cookie_jar=jar(), headers=EN) as http:  # no cookie yet
        async with http.post(f"{link}/consent", data={"choice": "agree"},
                             allow_redirects=False) as response:
            assert response.status == 303 and "ib_q" in response.cookies
        async with http.get(link) as response:  # the same browser goes on
            assert response.status == 200 and 'name="at"' in await response.text()
    async with aiohttp.ClientSession(cookie_jar=jar()) as other, other.get(link) as response:
        assert response.status == 403  # and nobody else


async def test_an_invite_shows_stored_personal_facts_masked_and_long_or_odd_input_refused(
        server: Server) -> None:
    link = await _invite(server)
    async with aiohttp.ClientSession(cookie_jar=jar(), headers=EN) as http:
        await http.get(link)
        await http.post(f"{link}/consent", data={"choice": "agree"})
        page = await _answer_until(http, link, "industry")  # a choice with "Other"
        at = page.split('name="at" value="', 1)[1].split('"', 1)[0]
        async with http.post(link, data={"at": at, "value": "O" * 1_000_000}) as response:
            assert response.status == 200 and "too long" in await response.text()
        async with http.post(link, data={"at": at, "value": "\u202egnidart\u202c 贸易"}):
            pass
        name_page = await _answer_until(http, link, "We have:")
        assert "Carol." not in name_page and "C****." in name_page  # recognisable, no more
        many = await _answer_until(http, link, "problems")  # a multiple choice with "Other"
        at = many.split('name="at" value="', 1)[1].split('"', 1)[0]
        for count, refusal in ((998, "too long"), (8, "at most 5 things")):
            async with http.post(link, data={"at": at, "value": ",".join(
                    f"made-up {n}" for n in range(count))}) as response:
                assert refusal in await response.text()
    async with server.h.sessions() as s:
        stored = [a.other_text or str(a.value) for a in await s.scalars(select(Answer))]
        longest = await s.scalar(select(func.max(func.length(Answer.raw_text))))
    assert any("贸易" in text for text in stored)
    assert all("\u202e" not in text and "\u202c" not in text for text in stored)
    assert longest is None or longest < 5_000  # encrypted, so longer than typed


async def test_the_unowned_customers_contact_is_untouched_by_the_probe(server: Server) -> None:
    async with server.h.sessions() as s:
        person = await s.scalar(select(Contact).where(Contact.customer_id == server.unowned_id))
        invite_count = await s.scalar(select(func.count()).select_from(Invite))
    assert person is not None and person.phone == "+8613800138007" and invite_count == 0


async def test_the_web_server_serves_metrics_for_prometheus(server: Server) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{server.base}/metrics") as response:
        text = await response.text()
        assert response.status == 200
    assert "interview_reminders_late 0.0" in text and "interview_inbox_pending 0.0" in text


async def test_an_invite_made_on_the_command_line_names_our_team(server: Server) -> None:
    """Issue 26: a CLI-made invite greeted "您好！— 邀请您…" (no inviter: a bare dash)."""
    link = await _invite(server)
    async with aiohttp.ClientSession(cookie_jar=jar(), headers={"Accept-Language": "zh"}) as http:
        page = await (await http.get(link)).text()
    assert "您好！我们的销售团队 邀请您" in page and "— 邀请" not in page


async def test_the_favicon_and_a_customers_refusal_need_no_staff(server: Server) -> None:
    """Issue 26: /favicon.ico answered 401 before sign-in (a console error on every page);
    the "link not valid" page carried the staff's dashboard header."""
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        async with http.get(f"{server.base}/favicon.ico") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/svg+xml"
            assert (await response.read()).startswith(b"<svg")
        async with http.get(f"{server.base}/q/{'x' * 43}") as response:
            page = await response.text()
            assert response.status == 403
    assert "客户访谈看板" not in page and "questionnaire.css" in page


async def test_the_team_page_lists_a_manager_only_for_work_of_their_own(server: Server) -> None:
    async with server.h.sessions.begin() as s:
        boss = await accounts.add_user(s, telegram_id=8001, name="赵经理", role="manager",
                                       now=server.h.clock())
        rep = await accounts.user_at(s, 7001)
        assert rep is not None
        rep.manager_id = boss.id
        sid = await web_access.open_session(s, boss.id, server.h.clock())
    async with aiohttp.ClientSession(cookie_jar=jar(), cookies={"ib_session": sid}) as http:
        page = await (await http.get(f"{server.base}/team?lang=en")).text()
        reps = await (await http.get(f"{server.base}/reps?lang=en")).text()
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # the header names the viewer
    assert "Wang" in table and "赵经理" not in table
    assert reps.count("Debriefs, week from ") == 4 and " · " not in reps  # each week named
