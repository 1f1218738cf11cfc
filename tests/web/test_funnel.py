"""Issue 26: the questionnaire funnel a manager reads on /questionnaires (headless Chromium,
SQLite and PostgreSQL) matches ten scripted customers who stop at known places, and the
weekly report carries the same counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conversation.texts import CONSENT_VERSION
from services.interview_service import Respondent
from services.reports import build_report, summary_text
from storage import accounts, audit, consents, customers, invites, reporting, web_access
from storage.models import User
from tests import scripts
from tests.scripts import script, shipped
from tests.storage.test_interviews import drive
from tests.web.conftest import Site

SHORT = script(shipped()["pre_meeting"], {**scripts.PRE_MEETING, "say_more": "no"})
FULL = script(shipped()["pre_meeting"], scripts.PRE_MEETING)
# inputs of SHORT that reach question 3 (industry, head count) and 5 (then the name, the
# role and its read-back)
TO_QUESTION_3, TO_QUESTION_5 = SHORT[:2], SHORT[:5]


async def _customer(site: Site, rep: User, n: int, *, opened: str | None = None,
                    decision: str | None = None, inputs: list[str] | None = None,
                    minutes: int = 0, made_in: str = "telegram") -> None:
    """Customer n, invited by `rep`; opened on the web or in Telegram, a consent decision,
    then `inputs` typed (the last one `minutes` after the first)."""
    h = site.h
    async with h.sessions.begin() as s:
        customer = await customers.create(s, f"客户{n:02d}", h.clock(), owner_id=rep.id)
        invite, _ = await invites.create(s, customer_id=customer.id, flow_id="pre_meeting",
                                         created_by=rep.id, now=h.clock(),
                                         valid_for=timedelta(days=14))
        await audit.append(s, at=h.clock(), actor=accounts.actor_of(rep),
                           action="invite.create", entity="invite", entity_id=invite.id,
                           channel=made_in)
        if opened == "web":
            invite.browser_hash, invite.opened_at = f"{n:064d}", h.clock()
        elif opened == "telegram":
            invite.telegram_id, invite.opened_at = 9000 + n, h.clock()
        if decision is not None:
            await consents.record(s, telegram_id=invite.telegram_id,
                                  customer_id=customer.id, invite_id=invite.id,
                                  version=CONSENT_VERSION, decision=decision, now=h.clock())
        if not inputs:
            return
        key = f"web:{invite.id}" if opened == "web" else f"tg:{invite.telegram_id}"
        turn = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                     respondent=Respondent(key, opened or "web"),
                                     language="zh")
        invite.interview_id = turn.interview_id
    await drive(site.h, turn.interview_id, inputs[:-1], "zh")
    h.clock.advance(minutes=minutes)
    await drive(site.h, turn.interview_id, inputs[-1:], "zh")
    h.clock.advance(minutes=-minutes)


async def test_the_funnel_counts_ten_customers_where_they_stopped(site: Site) -> None:
    h = site.h
    async with h.sessions.begin() as s:
        boss = await accounts.add_user(s, telegram_id=801, name="赵经理", role="manager",
                                       now=h.clock())
        rep = await accounts.add_user(s, telegram_id=802, name="Wang Fang", role="rep",
                                      now=h.clock(), manager_id=boss.id)
        token = await web_access.make_link(s, boss.id, h.clock())
    await _customer(site, rep, 1)
    await _customer(site, rep, 2, made_in="cli")
    await _customer(site, rep, 3, opened="web")
    await _customer(site, rep, 4, opened="web", decision="declined")
    await _customer(site, rep, 5, opened="web", decision="accepted", inputs=TO_QUESTION_3)
    await _customer(site, rep, 6, opened="web", decision="accepted", inputs=TO_QUESTION_3)
    await _customer(site, rep, 7, opened="web", decision="accepted", inputs=TO_QUESTION_5)
    await _customer(site, rep, 8, opened="web", decision="accepted", inputs=SHORT, minutes=4)
    await _customer(site, rep, 9, opened="web", decision="accepted", inputs=SHORT, minutes=6,
                    made_in="cli")
    await _customer(site, rep, 10, opened="telegram", decision="accepted", inputs=FULL,
                    minutes=20)

    context = await site.browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site.base}/login?token={token}")
    await page.click("#sign-in")
    await page.goto(f"{site.base}/questionnaires?days=30")
    steps = {await row.get_attribute("data-step"): int(await row.locator("td").nth(1)
                                                       .inner_text())
             for row in await page.locator("#funnel tbody tr").all()}
    assert steps == {"sent": 10, "opened": 8, "consented": 6, "declined": 1, "started": 6,
                     "finished": 3}
    assert await page.inner_text("#median") == "完成用时中位数：6.0 分钟"
    counts = {}
    for row in await page.locator("#questions tbody tr").all():
        cells = row.locator("td")
        counts[await row.get_attribute("data-question")] = (
            int(await cells.nth(2).inner_text()), int(await cells.nth(3).inner_text()))
    flow = shipped()["pre_meeting"]
    first, third, fifth, twelfth = (flow.questions[i].id for i in (0, 2, 4, 11))
    assert counts[first] == (6, 0)
    assert counts[third] == (6, 2)  # two stopped at question 3
    assert counts[fifth] == (4, 1)  # one at question 5
    assert counts[twelfth] == (3, 0)  # the offer to say more: the three who finished
    in_part = [q.id for q in flow.questions if q.part]
    assert counts[in_part[0]] == (1, 0)  # one chose to say more
    assert sum(stopped for _, stopped in counts.values()) == 3
    # by channel and by where the invite was made
    channels = {await r.get_attribute("data-channel"): await r.inner_text()
                for r in await page.locator("#channels tr[data-channel]").all()}
    assert channels["web"].split()[-6:] == ["7", "7", "5", "1", "5", "2"]
    assert channels["telegram"].split()[-6:] == ["1", "1", "1", "0", "1", "1"]
    # the filter: answered on the web only
    await page.select_option("select[name=channel]", "web")
    await page.click(".filters button")
    assert int(await page.locator("#funnel tr[data-step=finished] td").nth(1)
               .inner_text()) == 2
    await context.close()
    # the same counts in the manager's weekly report, where the drop is named
    async with h.sessions() as s:
        manager = await s.scalar(select(User).where(User.id == boss.id))
        assert manager is not None
        owners = await reporting.visible_owner_ids(s, manager)
        report = await build_report(s, h.service.flows, owners, h.clock(), "Asia/Shanghai",
                                    "zh")
    text = summary_text(report, "zh")
    assert "📨 “会前问卷”：发出 10，打开 8，同意 6，拒绝 1，完成 3；完成用时中位数 6.0 分钟；" \
           "停下最多的是第 3 题（2 人）" in text
    assert report.data()["questionnaires"][0]["finished"] == 3
