"""What managers see, from real interviews on a real database: the card's quality lines,
the exported files (opened as Excel would read them) and the weekly report's chart."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from PIL import Image

from services.chart import DATA_KEY, render_png
from services.exporting import build_export
from services.interview_service import Respondent
from services.reports import build_report, card_quality, quality_lines, summary_text
from storage import accounts
from storage.models import Customer, User
from storage.reporting import visible_owner_ids
from tests.conftest import FakeClock
from tests.scripts import script, shipped
from tests.storage.helpers import Harness, harness
from tests.storage.test_interviews import PRE_MEETING, drive

CUSTOMER = Respondent("tg:5005", "telegram")
# all four SPIN stages; met Li Wei as an influencer (the customer said decision maker);
# budget over ¥1m (the customer said ¥500k-1m); priority medium, grade B
FULL_DEBRIEF = script(shipped()["post_call"], {
    "call_type": "1", "met_name": "Li Wei", "met_role": "2", "stages_covered": "1,2,3,4",
    "situation_notes": "Uses SAP", "pains_heard": "1,3", "pain_detail": "Late deliveries",
    "implications": "Lost orders", "need_payoff_notes": "Save two days",
    "decision_maker_met": "no", "decision_maker": "The CEO", "budget": "4", "timeline": "1",
    "next_step": "1", "priority": "2", "grade": "2", "next_contact": "in 7 days"})
SHORT_DEBRIEF = script(shipped()["post_call"], {
    "call_type": "5", "met_name": "Wang Fang", "met_role": "1", "stages_covered": "1",
    "situation_notes": "Small team", "timeline": "1", "next_step": "4", "priority": "3",
    "next_contact": "in 30 days"})


async def _team(h: Harness) -> tuple[User, User, User]:
    async with h.sessions.begin() as s:
        manager = await accounts.add_user(s, telegram_id=900, name="经理 Zhao", role="manager",
                                          now=h.clock())
        rep = await accounts.add_user(s, telegram_id=901, name="销售 Li", role="rep",
                                      now=h.clock(), manager_id=manager.id)
        other = await accounts.add_user(s, telegram_id=902, name="Other rep", role="rep",
                                        now=h.clock())
    return manager, rep, other


async def _interview(h: Harness, customer_id: int, flow_id: str, who: Respondent,
                     inputs: list[str]) -> int:
    async with h.sessions.begin() as s:
        turn = await h.service.begin(s, customer_id=customer_id, flow_id=flow_id,
                                     respondent=who, language="en")
    await drive(h, turn.interview_id, inputs)
    return turn.interview_id


async def _world(h: Harness) -> tuple[User, User, User, Customer, Customer]:
    """Rep Li owns 华东精密 (questionnaire + full debrief) and 老客户 (short debrief);
    the other rep owns one customer nobody may see but an admin."""
    manager, rep, other = await _team(h)
    rep_self = Respondent("tg:901", "telegram", rep.id)
    async with h.sessions.begin() as s:
        acme = await h.service.create_customer(s, "华东精密 Precision", rep_self)
        acme.owner_id = rep.id
        old = await h.service.create_customer(s, "老客户 =SUM(A1)", rep_self)
        old.owner_id = rep.id
        hidden = await h.service.create_customer(s, "Hidden Co", rep_self)
        hidden.owner_id = other.id
    await _interview(h, acme.id, "pre_meeting", CUSTOMER, PRE_MEETING)
    h.clock.advance(days=1)
    await _interview(h, acme.id, "post_call", rep_self, FULL_DEBRIEF)
    await _interview(h, old.id, "post_call", rep_self, SHORT_DEBRIEF)
    return manager, rep, other, acme, old


async def test_the_card_shows_completeness_coverage_and_both_sides_of_a_conflict(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _, _, _, acme, old = await _world(h)
        async with h.sessions() as s:
            customers = [await s.get(Customer, acme.id), await s.get(Customer, old.id)]
            quality = await card_quality(s, shipped_flows, customers, "en")  # type: ignore
        acme_q, old_q = quality[acme.id], quality[old.id]
        assert acme_q.coverage is not None and acme_q.coverage.complete
        assert old_q.coverage is not None and old_q.coverage.covered == (
            "background", "need_payoff")
        # 华东精密: name, industry, size, contact name/title/phone? (phone skipped), role,
        # need type and description, budget, timeline, decision process
        assert "customer.credit_code" in acme_q.completeness.missing
        assert "deal.budget" in acme_q.completeness.filled
        assert acme_q.completeness.percent > old_q.completeness.percent
        fields = {c.field: c for c in acme_q.conflicts}
        # both said Li Wei: no conflict on the contact's name; the customer's approval steps
        # and the rep's "who decides" are different questions (issue 15): not compared
        assert set(fields) == {"deal.budget", "contact.decision_role"}
        budget = fields["deal.budget"]
        assert (budget.customer.shown, budget.rep.shown) == ("¥500k–1m", "Over ¥1m")
        lines = quality_lines(acme_q, "en")
        assert lines[0].startswith("📋 Record ") and "complete" in lines[0]
        assert "🧭 Latest debrief covers 4 of 4 SPIN stages" in lines[2]
        assert ("⚠️ Budget differs: the customer said “¥500k–1m” (2026-11-23), the rep "
                "recorded “Over ¥1m” (2026-11-24)") in lines
        zh = quality_lines(acme_q, "zh")
        assert any(line.startswith("⚠️ 预算范围不一致") for line in zh)


async def test_the_xlsx_export_reads_back_in_excel_terms(db_url: str, shipped_flows: dict,
                                                         clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        manager, _, _, acme, _ = await _world(h)
        async with h.sessions() as s:
            owners = await visible_owner_ids(s, manager)
            exported = await build_export(s, shipped_flows, owners, fmt="xlsx", lang="zh",
                                          now=clock(), timezone="Asia/Shanghai")
        book = load_workbook(io.BytesIO(exported.content))
        assert book.sheetnames == ["会前问卷", "拜访后复盘", "客户", "联系人"]
        assert (exported.interviews, exported.customers) == (3, 2)  # not the other rep's
        debriefs = book["拜访后复盘"]
        header = [c.value for c in debriefs[1]]
        rows = [dict(zip(header, (c.value for c in r), strict=True))
                for r in debriefs.iter_rows(min_row=2)]
        full = next(r for r in rows if r["客户编号"] == acme.id)
        assert full["客户"] == "华东精密 Precision" and full["回答人"] == "销售 Li"
        assert full["SPIN 覆盖"] == "背景 难点 暗示 需求效益"
        assert full["客户提到了哪些问题？（可多选） [pains_heard]"] == "成本太高、质量不稳定"
        assert full["客户的预算范围大概是？（不清楚可跳过） [budget]"] == "100万元以上"
        assert full["开始时间"].year == 2026  # a real date, not text
        customers = book["客户"]
        header = [c.value for c in customers[1]]
        by_name = {r[1].value: dict(zip(header, (c.value for c in r), strict=True))
                   for r in customers.iter_rows(min_row=2)}
        assert by_name["华东精密 Precision"]["预算范围"] == "100万元以上"  # newest: the rep's
        assert by_name["华东精密 Precision"]["待核实不一致"] == 2
        assert by_name["华东精密 Precision"]["负责人"] == "销售 Li"
        # text that looks like a formula stays text
        formula = customers.cell(row=3, column=2)
        assert (formula.value, formula.data_type) == ("老客户 =SUM(A1)", "s")
        contacts = [[c.value for c in r] for r in book["联系人"].iter_rows(min_row=2)]
        # the customer's answer and the rep's debrief speak of one person: one contact
        # (issue 14: the card listed 钱经理 twice); the conflict is kept in the answers
        assert [c[2] for c in contacts].count("Li Wei") == 1, contacts


async def test_csv_and_json_exports(db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _, rep, _, _, _ = await _world(h)
        async with h.sessions() as s:
            owners = await visible_owner_ids(s, rep)
            zipped = await build_export(s, shipped_flows, owners, fmt="csv", lang="en",
                                        now=clock(), timezone="Asia/Shanghai",
                                        flow_id="post_call")
            as_json = await build_export(s, shipped_flows, owners, fmt="json", lang="en",
                                         now=clock(), timezone="Asia/Shanghai")
        assert zipped.filename.endswith(".zip") and zipped.interviews == 2
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            assert archive.namelist() == ["After-call debrief.csv", "customers.csv",
                                          "contacts.csv"]
            raw = archive.read("customers.csv")
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # what Excel needs
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0][:2] == ["ID", "Company name"]
        assert {r[1] for r in rows[1:]} == {"华东精密 Precision", "老客户 =SUM(A1)"}
        document = json.loads(as_json.content)
        assert {i["flow"] for i in document["interviews"]} == {"pre_meeting", "post_call"}
        debrief = next(i for i in document["interviews"] if i["flow"] == "post_call"
                       and i["answers"]["met_name"]["value"] == "Li Wei")
        assert debrief["answers"]["pains_heard"] == {
            "value": ["high_cost", "quality"], "other": None, "stage": "pain_point",
            "shown": "Costs are too high, Quality is inconsistent",
            "answered_at": debrief["answers"]["pains_heard"]["answered_at"]}
        assert debrief["spin_coverage"] == ["background", "pain_point", "implication",
                                            "need_payoff"]
        assert "Hidden Co" not in as_json.content.decode()


async def test_a_formula_in_csv_is_neutralised_but_a_phone_number_is_not() -> None:
    from services.exporting import _csv_text

    assert _csv_text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _csv_text("@cmd") == "'@cmd"
    assert _csv_text("-2+3") == "'-2+3"
    assert _csv_text("+86 138 0013 8000") == "+86 138 0013 8000"


async def test_the_weekly_report_and_its_chart(db_url: str, shipped_flows: dict,
                                               clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        manager, rep, _, _, _ = await _world(h)
        clock.advance(days=200)  # everything is overdue by then...
        async with h.sessions() as s:
            owners = await visible_owner_ids(s, manager)
            late = await build_report(s, shipped_flows, owners, clock(), "Asia/Shanghai", "zh")
        clock.advance(days=-200)
        async with h.sessions() as s:
            report = await build_report(s, shipped_flows, owners, clock(), "Asia/Shanghai",
                                        "zh")
        assert [r.overdue for r in late.reps if r.user_id == rep.id] == [2]
        line = next(r for r in report.reps if r.user_id == rep.id)
        assert (line.debriefs, line.questionnaires, line.overdue) == (2, 1, 0)
        assert line.stage_hits == {"background": 2, "pain_point": 1, "implication": 1,
                                   "need_payoff": 2}
        assert report.grades["B"]["medium"] == 1 and report.customers == 2
        assert report.least_complete[0][0] == "老客户 =SUM(A1)"
        assert len(report.open_conflicts) == 2  # budget, decision role
        text = summary_text(report, "zh")
        assert "完成复盘 2 份，客户问卷 1 份" in text and "销售 Li" in text
        assert "华东精密 Precision · 预算范围：客户「50万–100万元」/ 销售「100万元以上」" in text

        png = render_png(report.data(), "zh")  # a missing CJK glyph would warn, and warnings fail
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (1300, 1100)
        assert len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 50  # drawn
        figures = json.loads(image.text[DATA_KEY])  # type: ignore[attr-defined]
        assert figures == {**json.loads(json.dumps(report.data())), "reps_total": len(report.reps)}
        assert figures["reps"][0]["name"] == "销售 Li"
        assert figures["reps"][0]["coverage"]["pain_point"] == 0.5


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_empty_team_still_gets_a_chart(lang: str, tmp_path: object,
                                                shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(f"sqlite+aiosqlite:///{tmp_path}/e.db", shipped_flows, clock) as h, \
            h.sessions() as s:
        report = await build_report(s, shipped_flows, set(), clock(), "Asia/Shanghai", lang)
    assert report.reps == [] and report.customers == 0
    assert render_png(report.data(), lang).startswith(b"\x89PNG\r\n\x1a\n")


def test_a_large_team_draws_its_busiest_reps_and_lists_the_rest_as_a_count() -> None:
    from datetime import date

    from services.chart import MAX_REPS, busiest
    from services.reports import GRADES, PRIORITIES, RepLine, Report

    reps = [RepLine(i, f"Rep {i:03d}", debriefs=i % 7, overdue=10 if i == 150 else 0)
            for i in range(200)]
    grades = {g: dict.fromkeys(PRIORITIES, 0) for g in GRADES}
    report = Report(date(2026, 11, 17), date(2026, 11, 23), reps, grades, [], [], 0)
    drawn = busiest(report.data()["reps"])
    assert len(drawn) == MAX_REPS and "Rep 150" in [r["name"] for r in drawn]
    assert all(r["debriefs"] >= 5 for r in drawn if r["name"] != "Rep 150")
    text = summary_text(report, "en")
    assert "… and 170 more reps; see /export." in text and "Rep 029" in text
    png = render_png(report.data(), "en")
    embedded = json.loads(Image.open(io.BytesIO(png)).text[DATA_KEY])  # type: ignore[attr-defined]
    assert embedded["reps"] == drawn and embedded["reps_total"] == 200


def test_a_team_with_nothing_overdue_gets_a_plain_axis() -> None:
    """Issue 14: the empty overdue chart had a y-axis from -0.04 to 0.04."""
    from matplotlib.figure import Figure

    from services.chart import _interviews, _overdue

    reps = [{"name": "Wang", "overdue": 0, "debriefs": 0, "questionnaires": 0}]
    for draw in (_overdue, _interviews):
        axes = Figure().add_subplot()
        draw(axes, reps, ["Wang"], "zh")
        low, high = axes.get_ylim()
        assert low == 0 and high >= 1, draw.__name__


def test_no_legend_covers_a_bar() -> None:
    """Issue 26: on /report the SPIN-coverage legend covered bars at 100 %."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from services.chart import _coverage, _interviews, _register_font

    reps = [{"name": f"Rep {i}", "debriefs": 4, "questionnaires": 2, "overdue": 0,
             "coverage": dict.fromkeys(("background", "pain_point", "implication",
                                        "need_payoff"), 1.0)} for i in range(6)]
    for draw in (_coverage, _interviews):
        with matplotlib.rc_context({"font.family": [_register_font(), "DejaVu Sans"]}):
            figure = Figure(figsize=(6.5, 3.6), dpi=100, layout="constrained")
            axes = figure.add_subplot()
            draw(axes, reps, [r["name"] for r in reps], "zh")
            renderer = FigureCanvasAgg(figure).get_renderer()
            figure.draw(renderer)
        legend = axes.get_legend().get_window_extent(renderer)
        covered = [bar for bar in axes.patches
                   if bar.get_height() and bar.get_window_extent(renderer).overlaps(legend)]
        assert covered == [], draw.__name__


def test_export_headers_show_what_a_placeholder_stands_for(shipped_flows: dict) -> None:
    """Issue 14: a column was headed "{contact_name}，您的职位是什么？…"."""
    from services.exporting import header_text

    flow = shipped_flows["pre_meeting"]
    assert header_text(flow, "job_title", "zh").startswith("［联系人］，您的职位是什么？")
    assert header_text(flow, "job_title", "en").startswith("［Contact］, what is your role")


async def test_a_customer_page_reads_a_question_with_the_name_it_was_given(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 26: on a customer's page the role question read "［联系人］在这次采购中是什么
    角色？" — the placeholder, where the debrief had the name."""
    from services.dashboard import customer_view
    from tests import scripts
    from tests.storage.test_interviews import start

    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h, "post_call")
        await drive(h, turn.interview_id, script(shipped()["post_call"], scripts.POST_CALL))
        async with h.sessions() as s:
            found = await s.get(Customer, customer.id)
            assert found is not None
            view = await customer_view(s, found, shipped_flows, "zh")
    questions = [q for i in view.interviews for _, pairs in i.stages for q, _ in pairs]
    assert "Zhang San在这次采购中是什么角色？" in questions
    assert not any("［" in q for q in questions)
