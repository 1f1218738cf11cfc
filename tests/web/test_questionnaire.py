"""Issue 18: the customer's questionnaire as web pages, at a phone's size, in headless
Chromium, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.loader import default_flow_dir, load_paths
from storage import accounts, customers, invites
from storage.models import Answer, Contact, Customer, Reminder
from tests.flows.yaml_snippets import load_flow
from tests.ports import free_port
from tests.web.conftest import Site

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-US",
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                       "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
                       "MicroMessenger/8.0.47 NetType/WIFI Language/zh_CN"}  # WeChat's browser

EVERY_TYPE = load_flow("""\
- id: industry
  stage: background
  type: choice
  other: true
  maps_to: customer.industry
  text: Which industry?
  choices: [{id: manufacturing, label: Manufacturing}, {id: retail, label: Retail}]
- id: employees
  stage: background
  type: integer
  min: 1
  max: 100000
  maps_to: customer.employees
  text: How many people work there?
- id: pains
  stage: pain_point
  type: multi_choice
  text: Which problems?
  choices: [{id: cost, label: Cost}, {id: speed, label: Speed}, {id: quality, label: Quality}]
- id: urgent
  stage: implication
  type: yes_no
  text: Is it urgent?
- id: score
  stage: implication
  type: scale
  min: 1
  max: 5
  text: How much does it hurt?
- id: start
  stage: need_payoff
  type: date
  min: today
  text: When should it start?
- id: phone
  stage: background
  type: phone
  maps_to: contact.phone
  text: Your phone?
- id: email
  stage: background
  type: email
  required: false
  maps_to: contact.email
  text: Your email?
- id: budget
  stage: need_payoff
  type: number
  confirm: true
  text: Budget in 10k yuan?
- id: notes
  stage: need_payoff
  type: text
  text: Anything else?
""")


ONE_QUESTION = load_flow("""\
- id: outcome
  stage: need_payoff
  type: text
  text: What would help most?
""")


@pytest.fixture
def site_flows(shipped_flows: dict) -> dict:
    return {**shipped_flows, "every_type": EVERY_TYPE.model_copy(update={"id": "every_type"}),
            "one_question": ONE_QUESTION.model_copy(update={"id": "one_question"})}


async def _invite(site: Site, flow_id: str = "every_type", now: datetime | None = None,
                  valid_for: timedelta = timedelta(days=14)) -> tuple[str, int, int]:
    """An invite made at `now` (the site's fake clock unless given: a test that starts a real
    server process must give the wall clock that process reads, or the link expires when the
    calendar passes the fake clock by the invite's 14 days)."""
    h = site.h
    now = now or h.clock()
    async with h.sessions.begin() as s:
        rep = await accounts.add_user(s, telegram_id=802, name="Wang Fang", role="rep", now=now)
        customer = await customers.create(s, "Acme 华东", now, owner_id=rep.id)
        _, token = await invites.create(s, customer_id=customer.id, flow_id=flow_id,
                                        created_by=rep.id, now=now, valid_for=valid_for)
    return f"{site.base}/q/{token}", customer.id, rep.id


async def _say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#value", text)
    await page.click("#next")


async def test_a_questionnaire_on_a_phone_from_consent_to_the_rep_told(site: Site) -> None:
    link, customer_id, rep_id = await _invite(site)
    context = await site.browser.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(link)
    assert "Wang Fang invites you" in await page.inner_text("main")
    assert "/forget" not in await page.inner_text("main")  # no chat commands on the web
    await page.click("#agree")
    assert await page.inner_text("#question") == "Which industry?"
    await page.click("button.option >> text=Manufacturing")
    await _say(page, "lots")  # a wrong answer: said why, asked again
    assert "whole number" in await page.inner_text("#error")
    assert await page.inner_text("#question") == "How many people work there?"
    await _say(page, "250")
    assert await page.inner_text("#question") == "Which problems?"
    await page.click("#back")  # back: the answer given is shown, and can be changed
    assert "250" in await page.inner_text(".current")
    await _say(page, "300")
    await page.check("input[value=cost]")
    await page.check("input[value=quality]")
    await page.click("#next")
    await page.click("button.option >> text=Yes")
    await page.click("button.option >> text=4")
    await _say(page, "2027-01-15")
    await _say(page, "138 0013 8000")
    await page.click("#skip")  # the email is optional
    await _say(page, "50")
    assert "50" in await page.inner_text("#question")  # the key fact, read back
    await page.click("button.option >> text=Yes")
    await _say(page, "Faster quotes, please")
    assert await page.inner_text("#done") == ("Thank you! The questionnaire is complete; we "
                                              "will use it to prepare the meeting.")
    assert "Faster quotes, please" in await page.inner_text(".summary")
    # the same link in another browser: refused, nothing shown
    other = await site.browser.new_context(**PHONE)
    second = await other.new_page()
    await second.goto(link)
    assert (await second.inner_text(".message")).startswith("This link is not valid")
    await other.close()
    await context.close()
    async with site.h.sessions() as s:
        card = await s.get(Customer, customer_id)
        assert card is not None and (card.industry, card.employees) == ("manufacturing", 300)
        phone = (await s.scalars(select(Contact.phone))).one()
        assert phone == "+8613800138000"
        answers = {a.question_id: a.value for a in await s.scalars(
            select(Answer).where(Answer.superseded_at.is_(None)))}
        assert answers["pains"] == ["cost", "quality"] and answers["email"] is None
        assert answers["budget"] == 50 and answers["urgent"] == "yes" and answers["score"] == 4
        told = (await s.scalars(select(Reminder).where(
            Reminder.kind == "questionnaire_done"))).one()
        assert told.recipient_id == rep_id  # the bot's dispatcher sends the summary


async def test_declining_stores_nothing_but_the_refusal(site: Site) -> None:
    link, _, _ = await _invite(site)
    context = await site.browser.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(link + "?lang=zh")
    await page.click("#decline")
    assert (await page.inner_text(".message")).startswith("好的，我们不会保存任何回答")
    async with site.h.sessions() as s:
        assert (await s.scalars(select(Answer))).all() == []
    await context.close()


async def test_a_finished_questionnaires_link_outlives_its_expiry_for_corrections(
        site: Site) -> None:
    """The 24 hours to correct an answer run from finishing, even past the link's own
    expiry; after them the expired link is refused like any other."""
    link, _, _ = await _invite(site, "one_question", valid_for=timedelta(hours=1))
    context = await site.browser.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(link)
    await page.click("#agree")
    await _say(page, "Faster quotes, please")
    assert await page.locator("#done").count() == 1
    site.h.clock.advance(hours=2)  # the link has expired; the questionnaire is finished
    await page.goto(link)
    assert "Faster quotes, please" in await page.inner_text(".summary")
    await page.locator("a.fix").click()
    await _say(page, "Faster quotes and fewer errors")
    assert "Faster quotes and fewer errors" in await page.inner_text(".summary")
    site.h.clock.advance(hours=23)  # 25 hours after finishing
    await page.goto(link)
    assert (await page.inner_text(".message")).startswith("This link is not valid")
    await context.close()


def _server(db_url: str, port: int, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url, "WEB_URL": f"http://127.0.0.1:{port}"}
    log = cwd / f"web-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "interview_bot", "web", "--port",
                                    str(port)], cwd=cwd, env=env, stdout=out, stderr=out)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait(10)
    raise AssertionError(f"the web server did not start: {log.read_text()[-2000:]}")


async def test_a_kill_9_of_the_server_loses_no_answer(site: Site, tmp_path: Path) -> None:
    """The real `interview-bot web` process, killed with SIGKILL between answers: the
    customer reloads and goes on from where they were."""
    flows = load_paths([default_flow_dir()])
    assert "pre_meeting" in flows
    link, customer_id, _ = await _invite(site, "pre_meeting", now=datetime.now(UTC))
    port = free_port()
    db_url = str(site.h.engine.url.render_as_string(hide_password=False))
    link = link.replace(site.base, f"http://127.0.0.1:{port}")
    server = _server(db_url, port, tmp_path)
    context = await site.browser.new_context(**PHONE)
    page = await context.new_page()
    try:
        await page.goto(link)
        await page.click("#agree")
        await page.click("button.option >> text=Manufacturing")
        await _say(page, "250")
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        server = _server(db_url, port, tmp_path)
        await page.goto(link)
        assert "How should we address you?" in await page.inner_text("#question")
        await _say(page, "Li Wei")
        assert "which role do you usually play?" in await page.inner_text("#question")
    finally:
        server.kill()
        server.wait(10)
        await context.close()
    async with site.h.sessions() as s:
        card = await s.get(Customer, customer_id)
        assert card is not None and (card.industry, card.employees) == ("manufacturing", 250)


def test_a_link_opened_on_the_web_is_used_up_for_telegram_too() -> None:
    from storage.models import Invite

    now = datetime(2026, 12, 1, tzinfo=UTC)
    invite = Invite(customer_id=1, flow_id="pre_meeting", created_at=now,
                    expires_at=now + timedelta(days=14))
    assert invites.usable_by(invite, 42, now) and invites.usable_in_browser(invite, None, now)
    invite.browser_hash = invites.token_hash("this browser")
    assert not invites.usable_by(invite, 42, now)  # Telegram: the link is used
    assert invites.usable_in_browser(invite, "this browser", now)
    assert not invites.usable_in_browser(invite, "another browser", now)
    invite.browser_hash, invite.telegram_id = None, 42
    assert not invites.usable_in_browser(invite, None, now)  # opened in Telegram first


async def test_a_form_sent_twice_is_applied_once(site: Site) -> None:
    """A double tap, or the browser sending the form again: the second arrives for a
    question the interview has left, changes nothing and says so."""
    link, customer_id, _ = await _invite(site)
    context = await site.browser.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(link)
    await page.click("#agree")
    await page.click("button.option >> text=Manufacturing")
    at = await page.get_attribute("input[name=at]", "value")
    assert at == "employees:answer"
    await _say(page, "250")
    again = await page.request.post(link, form={"at": at, "action": "answer", "value": "999"})
    from flows.messages import message

    body = await again.text()
    assert again.ok and any(message("moved_on", lang) in body for lang in ("zh", "en"))
    async with site.h.sessions() as s:
        card = await s.get(Customer, customer_id)
        assert card is not None and card.employees == 250
        employees = (await s.scalars(select(Answer.value).where(
            Answer.question_id == "employees"))).all()
        assert employees == [250]
    await context.close()
