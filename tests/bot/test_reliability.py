"""Nothing Telegram was told we received is lost; nothing is stored twice."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.webhook import SECRET_HEADER, WEBHOOK_PATH
from interview_bot.app import open_app
from storage import accounts
from storage.models import Answer, InboxUpdate
from tests.bot.harness import CUSTOMER, REP, BotUnderTest, running_bot
from tests.bot.test_scenarios import invite_link
from tests.ports import free_port

TWENTY = "\n".join(
    f"      - {{id: q{i:02d}, stage: background, type: text, text: Q{i:02d}}}"
    for i in range(20))
BURST_FLOWS = f"""\
flows:
  - id: post_call
    title: Twenty questions
    audience: rep
    version: 1
    questions:
{TWENTY}
  - id: pre_meeting
    title: One question
    audience: customer
    version: 1
    questions:
      - {{id: only, stage: background, type: text, text: Only}}
"""


async def start_customer(bot: BotUnderTest, user: int = CUSTOMER, name: str = "Acme") -> None:
    token = await invite_link(bot, name)
    await bot.say(user, f"/start {token}")
    await bot.tap(user, "I agree, start")


async def test_a_redelivered_update_is_not_answered_twice(bot: BotUnderTest) -> None:
    await start_customer(bot)
    update_id = bot.api.push_text(CUSTOMER, "2")
    await bot.api.wait_for(lambda: len(bot.api.texts(CUSTOMER)) >= 3)
    bot.api.redeliver_from(update_id)  # Telegram never saw our confirmation...
    await bot.restart()  # ...and sends the update again to the new process (calls are reset)
    # the next getUpdates carries an offset past the update: the redelivery was fetched
    await bot.api.wait_for(lambda: any(int(c.params.get("offset") or 0) > update_id
                                       for c in bot.api.calls_of("getUpdates")))
    await bot.stop()  # let the worker finish whatever it took from the inbox
    industry = [a for a in await bot.answers() if a.question_id == "industry"]
    assert [a.value for a in industry] == ["retail"]
    assert bot.api.texts(CUSTOMER) == []  # and no second reply


async def test_a_restart_in_the_middle_of_an_interview_loses_nothing(bot: BotUnderTest) -> None:
    await start_customer(bot)
    await bot.say(CUSTOMER, "2")
    await bot.say(CUSTOMER, "250")
    await bot.restart()
    reply = await bot.say(CUSTOMER, "Li Wei")
    assert "In a purchase like this, which role do you usually play?" in reply
    assert [a.question_id for a in await bot.answers()] == [
        "industry", "employees", "contact_name"]


async def test_two_customers_at_once_each_get_their_own_answers(bot: BotUnderTest) -> None:
    await start_customer(bot, CUSTOMER, "Acme")
    await start_customer(bot, CUSTOMER + 1, "Beta")
    for answers in (("1", "3"), ("10", "20"), ("Alpha words", "Beta words")):
        bot.api.push_text(CUSTOMER, answers[0])
        bot.api.push_text(CUSTOMER + 1, answers[1])
    await bot.api.wait_for(lambda: all(
        "What is your role" in bot.api.texts(u)[-1] or "How should we" in bot.api.texts(u)[-1]
        for u in (CUSTOMER, CUSTOMER + 1)))
    stored = await bot.answers()
    mine = {(a.answered_by, a.question_id): a.value for a in stored}
    assert mine[(f"tg:{CUSTOMER}", "employees")] == 10
    assert mine[(f"tg:{CUSTOMER + 1}", "employees")] == 20
    assert mine[(f"tg:{CUSTOMER + 1}", "industry")] == "software"


async def test_bot_api_429_waits_retry_after_and_5xx_is_retried(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    bot.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot.api.fail("sendMessage", 502, "Bad Gateway", times=2)
    reply = await bot.say(REP, "/customers")
    assert reply == "You have no customers yet."
    sends = bot.api.calls_of("sendMessage")
    assert len(sends) == 4  # 429, 502, 502, then delivered
    assert sends[1].at - sends[0].at >= 1.0  # nothing before retry_after ended


async def test_a_person_who_blocked_the_bot_is_marked_unreachable(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    bot.api.blocked.add(REP)
    update_id = bot.api.push_text(REP, "/customers")

    async def refused_and_marked(session: AsyncSession) -> bool:
        row = await session.get(InboxUpdate, update_id)
        account = await accounts.at(session, REP)
        return bool(row and row.status == "done" and account and account.unreachable_at)

    await bot.eventually(refused_and_marked)
    assert bot.api.sent(REP) == []  # the 403 was not retried into a loop
    bot.api.push_kicked(CUSTOMER)

    async def kicked(session: AsyncSession) -> bool:
        account = await accounts.at(session, CUSTOMER)
        return bool(account and account.unreachable_at)

    await bot.eventually(kicked)


async def test_bursts_of_twenty_answers_are_stored_in_order(framework: str, db_url: str,
                                                            tmp_path: Path) -> None:
    """On SQLite and on PostgreSQL (row locks, SKIP LOCKED): 5 reps × 20 answers at once."""
    flows = tmp_path / "flows.yaml"
    flows.write_text(BURST_FLOWS, encoding="utf-8")
    reps = [REP + i for i in range(5)]
    async with running_bot(framework, db_url, flows=[flows]) as bot:
        for n, rep in enumerate(reps):
            await bot.add_staff(rep, "rep", f"Rep {n}")
            await bot.say(rep, f"/debrief Customer {n}")
            await bot.tap(rep, "new:1")
        for i in range(20):  # 20 answers from each rep, all pushed at once
            for rep in reps:
                bot.api.push_text(rep, f"{rep}-a{i:02d}")
        await bot.api.wait_for(lambda: all(
            bot.api.texts(r)[-1].startswith("Debrief saved.") for r in reps), 60)
        stored = await bot.answers()
    for rep in reps:
        mine = [a for a in stored if a.answered_by == f"tg:{rep}"]
        assert [a.question_id for a in mine] == [f"q{i:02d}" for i in range(20)]
        assert [a.value for a in mine] == [f"{rep}-a{i:02d}" for i in range(20)]


async def test_webhook_rejects_a_wrong_or_missing_secret(framework: str, tmp_path: Path) -> None:
    port = free_port()
    async with running_bot(framework, f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", webhook=True,
                           webhook_url=f"http://127.0.0.1:{port}", webhook_secret="s3cret-T0ken",
                           webhook_port=port) as bot:
        await bot.api.wait_for(lambda: bool(bot.api.webhook))
        assert bot.api.webhook["secret_token"] == "s3cret-T0ken"
        update = {"update_id": 42, "message": {
            "message_id": 1, "date": 1_790_000_000, "text": "hello",
            "chat": {"id": CUSTOMER, "type": "private"},
            "from": {"id": CUSTOMER, "is_bot": False, "first_name": "C", "language_code": "en"}}}
        url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET_HEADER: "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 401
            async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-T0ken"}) as r:
                assert r.status == 200
        await bot.api.wait_for(lambda: len(bot.api.texts(CUSTOMER)) == 1)
        assert bot.api.texts(CUSTOMER)[0].startswith("Hello! This bot serves")
        async with open_app(bot.settings) as app, app.sessions() as session:
            assert len((await session.scalars(select(InboxUpdate))).all()) == 1
            assert (await session.scalars(select(Answer))).all() == []
