"""Issue 16: the dashboard in a real headless Chromium, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.deal_watch import watch_deals
from storage import accounts, audit, customers, web_access
from storage.models import AuditEntry, Contact, Customer, Note
from tests import scripts
from tests.scripts import script, shipped
from tests.storage.test_interviews import drive
from tests.web.conftest import Site

MANAGER, REP, OTHER_REP, OTHER_MANAGER, ADMIN = 801, 802, 803, 804, 805


async def _world(site: Site) -> tuple[int, int]:
    """Manager Zhao's team is rep Wang (华东精密 with a questionnaire and a note); rep Chen,
    on another team, owns 北方重工; an admin sees both."""
    h = site.h
    now = h.clock()
    async with h.sessions.begin() as s:
        zhao = await accounts.add_user(s, telegram_id=MANAGER, name="赵经理", role="manager",
                                       now=now)
        wang = await accounts.add_user(s, telegram_id=REP, name="Wang Fang", role="rep",
                                       now=now, manager_id=zhao.id)
        qian = await accounts.add_user(s, telegram_id=OTHER_MANAGER, name="钱经理",
                                       role="manager", now=now)
        chen = await accounts.add_user(s, telegram_id=OTHER_REP, name="Chen", role="rep",
                                       now=now, manager_id=qian.id)
        await accounts.add_user(s, telegram_id=ADMIN, name="Admin", role="admin", now=now)
        ours = await customers.create(s, "华东精密机械有限公司", now, owner_id=wang.id)
        ours.grade, ours.priority = "A", "high"
        theirs = await customers.create(s, "北方重工", now, owner_id=chen.id)
        theirs.grade = "C"
        s.add(Note(customer_id=ours.id, author_id=wang.id, text="钱经理周五前要报价",
                   created_at=now))
        await customers.create(s, "上海示例阀门", now, owner_id=wang.id)
    async with h.sessions.begin() as s:
        turn = await h.service.begin(s, customer_id=ours.id, flow_id="pre_meeting",
                                     respondent=scripts_respondent(), language="zh")
    await drive(h, turn.interview_id, script(shipped()["pre_meeting"], scripts.PRE_MEETING),
                "zh")
    return ours.id, theirs.id


def scripts_respondent():  # type: ignore[no-untyped-def]
    from services.interview_service import Respondent

    return Respondent("tg:5005", "telegram")


async def _link(site: Site, telegram_id: int) -> str:
    async with site.h.sessions.begin() as s:
        user = await accounts.user_at(s, telegram_id)
        assert user is not None
        token = await web_access.make_link(s, user.id, site.h.clock())
    return f"{site.base}/login?token={token}"


async def _signed_in(site: Site, telegram_id: int, **context: object):  # type: ignore[no-untyped-def]
    browser = await site.browser.new_context(**context)
    page = await browser.new_page()
    await page.goto(await _link(site, telegram_id))
    await page.click("#sign-in")
    await page.wait_for_load_state()
    assert page.url.endswith("/team"), (page.url, await page.content())
    return browser, page


async def test_each_page_as_a_rep_a_manager_and_an_admin(site: Site) -> None:
    ours, theirs = await _world(site)
    seen = {}
    for who in (REP, MANAGER, ADMIN):
        context, page = await _signed_in(site, who, locale="en-US")
        assert await page.locator("h1").inner_text() == "团队今日"  # their language: zh
        team = await page.locator("#team").inner_text()
        assert "Wang Fang" in team and "跟进: 1" in team and "follow_up" not in team
        await page.goto(f"{site.base}/customers?lang=en")
        names = await page.locator("#customers tbody td:first-child").all_inner_texts()
        seen[who] = set(names)
        card = await page.goto(f"{site.base}/customers/{ours}")
        assert card is not None and card.status == 200
        text = await page.locator("main").inner_text()
        assert "华东精密机械有限公司" in text and "钱经理周五前要报价" in text
        assert "Record" in text and "Before our meeting" in text and "Situation" in text
        assert "Manufacturing" in text  # choice labels, not ids
        reps = await page.goto(f"{site.base}/reps")
        assert reps is not None and reps.status == 200
        report = await page.goto(f"{site.base}/report.svg")
        assert report is not None and report.status == 200
        assert report.headers["content-type"] == "image/svg+xml"
        await context.close()
    assert seen[REP] == {"华东精密机械有限公司", "上海示例阀门"}
    assert seen[MANAGER] == {"华东精密机械有限公司", "上海示例阀门"}
    assert seen[ADMIN] == {"华东精密机械有限公司", "上海示例阀门", "北方重工"}
    # a rep is refused another team's customer, and the refusal is on record
    context, page = await _signed_in(site, REP)
    refused = await page.goto(f"{site.base}/customers/{theirs}?lang=en")
    assert refused is not None and refused.status == 403
    assert await page.locator(".message").inner_text() == "You may not see this customer."
    await context.close()
    async with site.h.sessions() as s:
        reads = (await s.execute(select(AuditEntry.action, AuditEntry.entity_id,
                                        AuditEntry.channel, AuditEntry.outcome)
                                 .where(AuditEntry.channel == "web"))).all()
    assert ("card.read", str(ours), "web", "ok") in reads  # every view of the card
    assert ("card.read", str(theirs), "web", "refused") in reads
    assert ("web.read", "customers", "web", "ok") in reads
    async with site.h.sessions() as s:
        assert await audit.verify_chain(s) is None


async def test_a_reused_expired_or_forged_link_signs_nobody_in(site: Site) -> None:
    await _world(site)
    context = await site.browser.new_context()
    page = await context.new_page()
    link = await _link(site, MANAGER)
    await page.goto(link + "&lang=en")
    await page.click("#sign-in")
    await page.wait_for_url("**/team")
    await context.clear_cookies()
    plain = ("This sign-in link does not work: it was used, has expired, or was never "
             "issued. Send /dashboard to the bot for a new one.")
    for target in (link, f"{site.base}/login?token=forged-{'x' * 40}"):
        await page.goto(target)
        await page.click("#sign-in")
        assert await page.locator(".message").inner_text() == plain  # one plain message
        assert all(c["name"] != "ib_session" for c in await context.cookies())
    late = await _link(site, MANAGER)
    site.h.clock.advance(minutes=11)
    await page.goto(late + "&lang=en")
    await page.click("#sign-in")
    assert await page.locator(".message").inner_text() == plain
    team = await page.goto(f"{site.base}/team?lang=en")
    assert team is not None and team.status == 401
    await context.close()


async def test_the_session_cookie_and_the_security_headers(site: Site) -> None:
    await _world(site)
    context, page = await _signed_in(site, MANAGER)
    (cookie,) = [c for c in await context.cookies() if c["name"] == "ib_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    response = await page.goto(f"{site.base}/customers")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    await context.close()


async def test_the_chinese_page_shows_glyphs_not_boxes(site: Site) -> None:
    """Each character of the heading drawn on its own: boxes (no font) would all look the
    same; glyphs differ from each other and from the box of a character no font has."""
    await _world(site)
    context, page = await _signed_in(site, MANAGER)
    await page.goto(f"{site.base}/team?lang=zh")
    assert await page.locator("h1").inner_text() == "团队今日"
    await page.evaluate("""() => {
        const h1 = document.querySelector('h1');
        const text = h1.textContent + '\\u{F0000}';
        h1.textContent = '';
        for (const ch of text) {
            const span = document.createElement('span');
            span.textContent = ch;
            span.className = 'glyph';
            h1.appendChild(span);
        }
    }""")
    shots = [await span.screenshot() for span in await page.locator("h1 .glyph").all()]
    *chinese, box = shots
    assert len(chinese) == 4 and len(set(chinese)) == 4  # four different glyphs
    assert box not in chinese  # none of them is the missing-glyph box
    await context.close()


async def test_filters_work_with_and_without_javascript(site: Site) -> None:
    await _world(site)
    for javascript in (False, True):
        context, page = await _signed_in(site, ADMIN, java_script_enabled=javascript)
        await page.goto(f"{site.base}/customers?lang=en")
        assert await page.locator("#matched").inner_text() == "3 customers, 3 shown"
        await page.select_option("select[name=grade]", "A")
        if not javascript:  # a plain form: choose, then press the button
            await page.click("#apply")
        await page.wait_for_url("**grade=A**")
        names = await page.locator("#customers tbody td:first-child").all_inner_texts()
        assert names == ["华东精密机械有限公司"]
        await page.goto(f"{site.base}/customers?q=bfzg")  # pinyin initials of 北方重工
        assert await page.locator("#customers tbody td:first-child").all_inner_texts() == [
            "北方重工"]
        if javascript:  # sorting by a click on a heading
            await page.goto(f"{site.base}/customers")
            cells = page.locator("#customers tbody td:nth-child(2)")
            await page.click("#customers th:nth-child(2)")  # grade, ascending
            grades = await cells.all_inner_texts()
            assert grades.index("A") < grades.index("C")
            await page.click("#customers th:nth-child(2)")  # and descending
            grades = await cells.all_inner_texts()
            assert grades.index("C") < grades.index("A")
        await context.close()


async def test_a_sign_in_link_lasts_ten_minutes_and_works_once(site: Site) -> None:
    await _world(site)
    async with site.h.sessions.begin() as s:
        user = await accounts.user_at(s, REP)
        assert user is not None
        token = await web_access.make_link(s, user.id, site.h.clock())
    async with site.h.sessions.begin() as s:
        assert (await web_access.redeem(s, token, site.h.clock() + timedelta(minutes=9))) \
            is not None
    async with site.h.sessions.begin() as s:
        assert await web_access.redeem(s, token, site.h.clock()) is None


async def test_deal_warnings_have_a_column_a_filter_and_a_count_per_rep(site: Site) -> None:
    """Issue 27: after the warnings pass, the customer list shows each customer's warnings
    and finds them by kind; the team page counts them per rep and links to the list."""
    ours, _theirs = await _world(site)
    async with site.h.sessions.begin() as s:  # an A customer with one contact
        await watch_deals(s, site.h.service, site.h.clock())
    context, page = await _signed_in(site, MANAGER)
    await page.goto(f"{site.base}/team?lang=en")
    counts = page.locator("#team td.warnings")
    assert "Single contact: 1" in await counts.first.inner_text()
    await counts.first.locator("a").first.click()
    await page.wait_for_url("**warning=single_contact**")
    assert await page.locator("#customers tbody td:first-child").all_inner_texts() == [
        "华东精密机械有限公司"]
    assert "Single contact" in await page.locator("#customers td.warnings").first.inner_text()
    await page.goto(f"{site.base}/customers?lang=zh")
    await page.select_option("#warning-filter", "any")
    await page.click("#apply")
    await page.wait_for_url("**warning=any**")
    assert await page.locator("#customers tbody td:first-child").all_inner_texts() == [
        "华东精密机械有限公司"]
    assert "单一联系人" in await page.locator("#customers td.warnings").first.inner_text()
    await page.goto(f"{site.base}/customers/{ours}?lang=en")  # the brief, on the page
    brief = await page.locator("#brief").inner_text()
    assert "Before the call" in brief and "[Ask next]" in brief, brief
    assert "⚠️ a key customer with only 1 contact(s)" in brief, brief
    await page.goto(f"{site.base}/customers?lang=zh&warning=any")
    async with site.h.sessions.begin() as s:  # a second contact: the warning ends
        s.add(Contact(customer_id=ours, name="钱经理", created_at=site.h.clock(),
                      updated_at=site.h.clock()))
    async with site.h.sessions.begin() as s:
        await watch_deals(s, site.h.service, site.h.clock())
    await page.reload()
    assert await page.locator("#customers tbody tr").count() == 0
    await context.close()


async def test_the_pool_page_shows_its_size_each_weeks_releases_and_each_reps_holding(
        site: Site) -> None:
    """Issue 28: a manager sees the team pool's size and age, released and claimed per
    week, and each rep's holding against the limit."""
    await _world(site)
    h = site.h
    h.planner.policy.pool.enabled = True  # it ships off
    async with h.sessions.begin() as s:
        cold = await s.scalar(select(Customer).where(Customer.name == "上海示例阀门"))
        assert cold is not None
        cold.grade, cold.worked_at = "D", h.clock() - timedelta(days=12)  # D: 10 days
    async with h.sessions.begin() as s:
        await h.planner.plan(s, h.clock())
    h.clock.advance(days=2)
    context, page = await _signed_in(site, MANAGER)
    await page.goto(f"{site.base}/pool?lang=en")
    assert await page.locator("#pool-size").inner_text() == \
        "1 customer(s) in the pool, the longest there 2 days"
    weeks = await page.locator("#pool-weeks tbody tr").all_inner_texts()
    assert [w.split("\t") for w in weeks] == [["Released", "0", "0", "0", "1"],
                                              ["Claimed", "0", "0", "0", "0"]]
    holding = await page.locator("#pool-holding tbody tr").all_inner_texts()
    assert [r.split("\t") for r in holding] == [["Wang Fang", "1", "150"]]
    await context.close()
    context, page = await _signed_in(site, OTHER_REP)  # another team's pool: empty
    await page.goto(f"{site.base}/pool?lang=en")
    assert (await page.locator("#pool-size").inner_text()).startswith("0 customer(s)")
    await context.close()
