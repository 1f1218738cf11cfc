"""What managers see: the quality of each customer's record and the team's weekly report.

The numbers come from `flows.quality` (coverage, completeness, conflicts) applied to
what `storage.reporting` reads; chart and export modules only lay them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.answer_checks import display
from flows.card_fields import field_label, stage_label
from flows.i18n import from_catalog
from flows.model import Flow
from flows.quality import (
    CONFLICT_FIELDS,
    STAGES,
    Completeness,
    Conflict,
    Coverage,
    Observation,
    completeness,
    conflicts,
    spin_coverage,
)
from services.questionnaire_funnel import Funnel, funnels
from services.warning_report import WarningCounts, period_counts
from storage import funnel as funnel_rows
from storage import reporting
from storage.models import Answer, Customer
from storage.reporting import Owners

GRADES = ("A", "B", "C", "D", "E", "-")
PRIORITIES = ("high", "medium", "low", "-")
LEAST_COMPLETE = 10
MAX_REP_LINES = 30


def meaning_of(flows: dict[str, Flow], flow_id: str, question_id: str) -> str:
    """What a question asks, for comparing answers: its `meaning`, else its id."""
    flow = flows.get(flow_id)
    question = next((q for q in flow.questions if q.id == question_id), None) \
        if flow else None
    return (question.meaning if question is not None else None) or question_id


def shown_answer(flows: dict[str, Flow], flow_id: str, answer: Answer, lang: str) -> str:
    """An answer as people read it: choice labels in `lang`, numbers formatted."""
    flow = flows.get(flow_id)
    question = next((q for q in flow.questions if q.id == answer.question_id), None) \
        if flow else None
    if answer.value is None:
        return ""
    if question is None:  # a question since removed from its flow
        return answer.other_text or str(answer.value)
    return display(question, answer.value, answer.other_text, lang)


@dataclass
class CardQuality:
    completeness: Completeness
    conflicts: list[Conflict]
    coverage: Coverage | None  # of the newest completed debrief, if any


async def card_quality(session: AsyncSession, flows: dict[str, Flow],
                       customers: list[Customer], lang: str) -> dict[int, CardQuality]:
    ids = [c.id for c in customers]
    contacts = await reporting.contacts_of_customers(session, ids)
    # conflicts need the customer's own word: only those customers' answers are read
    found_conflicts = await card_conflicts(
        session, flows, await reporting.answered_by_customers(session, ids, CONFLICT_FIELDS),
        lang)
    debriefs = await reporting.newest_debriefs(session, ids)
    found = {}
    for customer in customers:
        card = reporting.card_values(customer, contacts.get(customer.id, []))
        debrief = debriefs.get(customer.id)
        found[customer.id] = CardQuality(
            completeness(card), found_conflicts.get(customer.id, []),
            spin_coverage(debrief) if debrief is not None else None)
    return found


async def card_conflicts(session: AsyncSession, flows: dict[str, Flow],
                         customer_ids: Iterable[int], lang: str) -> dict[int, list[Conflict]]:
    """Where what these customers said themselves differs from what a rep recorded (pass
    only customers who answered a card field themselves: no one else can have any)."""
    answers = await reporting.mapped_answers(session, customer_ids, CONFLICT_FIELDS)
    return {customer_id: conflicts([
        Observation(a.maps_to or "", "rep" if by_rep else "customer",
                    a.other_text if a.value == "other" and a.other_text else a.value,
                    shown_answer(flows, flow_id, a, lang), a.answered_at, a.interview_id,
                    meaning_of(flows, flow_id, a.question_id))
        for a, flow_id, by_rep in rows]) for customer_id, rows in answers.items()}


def quality_lines(quality: CardQuality, lang: str) -> list[str]:
    """The card's quality section: completeness, SPIN coverage, conflicts."""
    done = quality.completeness
    lines = [say("completeness", lang, percent=done.percent, filled=len(done.filled),
                 total=done.total)]
    if done.missing:
        names = _join([field_label(f, lang) for f in done.missing], lang)
        lines.append(say("missing", lang, fields=names))
    if quality.coverage is not None:
        covered = _join([stage_label(s, lang) for s in quality.coverage.covered], lang) or "—"
        lines.append(say("coverage", lang, count=len(quality.coverage.covered),
                         stages=covered))
    for conflict in quality.conflicts:
        lines.append(say("conflict", lang, field=field_label(conflict.field, lang),
                         customer=conflict.customer.shown, customer_on=_day(conflict.customer.at),
                         rep=conflict.rep.shown, rep_on=_day(conflict.rep.at)))
    return lines


# ------------------------------------------------------------------ the weekly report
@dataclass
class RepLine:
    user_id: int
    name: str
    debriefs: int = 0  # completed by the rep in the period
    questionnaires: int = 0  # completed by their customers in the period
    stage_hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    overdue: int = 0

    def stage_share(self, stage: str) -> float:
        return self.stage_hits[stage] / self.debriefs if self.debriefs else 0.0


@dataclass
class Report:
    start: date
    end: date  # inclusive
    reps: list[RepLine]
    grades: dict[str, dict[str, int]]  # grade -> priority -> customers
    least_complete: list[tuple[str, int, list[str]]]  # customer, percent, missing fields
    open_conflicts: list[tuple[str, str, str, str]]  # customer, field, customer's, rep's
    customers: int
    funnels: list[Funnel] = field(default_factory=list)  # invites sent in the period
    warnings: WarningCounts = field(default_factory=WarningCounts)  # open now, and the period's

    def data(self) -> dict[str, Any]:
        """The figures, as JSON: the chart carries them, tests and tools read them."""
        return {
            "period": [self.start.isoformat(), self.end.isoformat()],
            "customers": self.customers,
            "reps": [{"name": r.name, "debriefs": r.debriefs,
                      "questionnaires": r.questionnaires, "overdue": r.overdue,
                      "coverage": {s: round(r.stage_share(s), 3) for s in STAGES}}
                     for r in self.reps],
            "grades": self.grades,
            "least_complete": [{"customer": c, "percent": p, "missing": m}
                               for c, p, m in self.least_complete],
            "open_conflicts": [{"customer": c, "field": f, "customer_said": a, "rep_said": b}
                               for c, f, a, b in self.open_conflicts],
            "questionnaires": [{"flow": f.flow_id, **f.steps, "median_minutes": f.median_minutes}
                               for f in self.funnels],
            "warnings": self.warnings.data(),
        }


async def build_report(session: AsyncSession, flows: dict[str, Flow], owners: Owners,
                       now: datetime, timezone: str, lang: str, days: int = 7) -> Report:
    """The last `days` days, up to today (in `timezone`), for the customers in scope."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time(), zone)
    customers = await reporting.customers_in_scope(session, owners)
    people = {u.id: u for u in await reporting.staff(session, owners)}
    lines: dict[int, RepLine] = {}

    def line(user_id: int) -> RepLine:
        if user_id not in lines:
            user = people.get(user_id)
            lines[user_id] = RepLine(user_id, user.name if user else f"#{user_id}")
        return lines[user_id]

    for user in people.values():
        if user.role == "rep":
            line(user.id)
    for row in await reporting.interviews(session, owners, since=since, completed_only=True):
        if row.respondent is not None:
            rep = line(row.respondent.id)
            rep.debriefs += 1
            coverage = spin_coverage((a.stage, a.value) for a in row.answers.values())
            for stage in coverage.covered:
                rep.stage_hits[stage] += 1
        elif row.customer.owner_id is not None:
            line(row.customer.owner_id).questionnaires += 1
    for owner, count in (await reporting.overdue_by_owner(session, owners, today)).items():
        line(owner).overdue = count

    grades = {g: dict.fromkeys(PRIORITIES, 0) for g in GRADES}
    for customer in customers:
        grade = customer.grade if customer.grade in GRADES else "-"
        priority = customer.priority if customer.priority in PRIORITIES else "-"
        grades[grade][priority] += 1

    quality = await card_quality(session, flows, customers, lang)
    ranked = sorted(customers, key=lambda c: (quality[c.id].completeness.share, c.name))
    least = [(c.name, quality[c.id].completeness.percent,
              [field_label(f, lang) for f in quality[c.id].completeness.missing])
             for c in ranked[:LEAST_COMPLETE]]
    open_conflicts = [(c.name, field_label(x.field, lang), x.customer.shown, x.rep.shown)
                      for c in customers for x in quality[c.id].conflicts]
    reps = sorted(lines.values(), key=lambda r: (r.name, r.user_id))
    sent = funnels(await funnel_rows.invites_since(session, owners, since), flows, lang)
    return Report(start, today, reps, grades, least, open_conflicts, len(customers), sent,
                  await period_counts(session, None if owners is None else list(owners),
                                      since, now))


def summary_text(report: Report, lang: str) -> str:
    """A few lines to go with the chart (Telegram allows 4096 characters)."""
    debriefs = sum(r.debriefs for r in report.reps)
    questionnaires = sum(r.questionnaires for r in report.reps)
    overdue = sum(r.overdue for r in report.reps)
    lines = [say("report_title", lang, start=report.start.isoformat(),
                 end=report.end.isoformat()),
             say("report_totals", lang, debriefs=debriefs, questionnaires=questionnaires,
                 customers=report.customers, overdue=overdue)]
    shown_reps = report.reps[:MAX_REP_LINES]
    for rep in shown_reps:
        coverage = " ".join(f"{stage_label(s, lang)}{round(rep.stage_share(s) * 100)}%"
                            for s in STAGES) if rep.debriefs else "—"
        lines.append(say("report_rep", lang, name=rep.name, debriefs=rep.debriefs,
                         questionnaires=rep.questionnaires, overdue=rep.overdue,
                         coverage=coverage))
    if len(report.reps) > len(shown_reps):
        lines.append(say("report_more_reps", lang, count=len(report.reps) - len(shown_reps)))
    if report.least_complete:
        worst = _join([f"{name} {percent}%" for name, percent, _ in report.least_complete[:5]],
                      lang)
        lines.append(say("report_least", lang, customers=worst))
    if report.open_conflicts:
        lines.append(say("report_conflicts", lang, count=len(report.open_conflicts)))
        for customer, label, theirs, ours in report.open_conflicts[:10]:
            lines.append(say("report_conflict", lang, customer=customer, field=label,
                             customer_said=theirs, rep_said=ours))
    lines += [_funnel_line(f, lang) for f in report.funnels]
    lines += report.warnings.lines(lang)
    text = "\n".join(lines)
    return text if len(text) <= 4000 else text[:3999] + "…"


def _funnel_line(funnel: Funnel, lang: str) -> str:
    """The questionnaires sent in the period: how far they got, and where most stopped."""
    line = say("report_funnel", lang, flow=funnel.title, **funnel.steps)
    if funnel.median_minutes is not None:
        line += say("report_funnel_median", lang, minutes=funnel.median_minutes)
    stopped = funnel.most_stopped
    if stopped is not None:
        line += say("report_funnel_stopped", lang, number=stopped.number, count=stopped.stopped)
    return line


MESSAGES: dict[str, dict[str, str]] = {
    "report_funnel": {"zh": "📨 “{flow}”：发出 {sent}，打开 {opened}，同意 {consented}，"
                            "拒绝 {declined}，完成 {finished}",
                      "en": "📨 “{flow}”: {sent} sent, {opened} opened, {consented} agreed, "
                            "{declined} declined, {finished} finished"},
    "report_funnel_median": {"zh": "；完成用时中位数 {minutes} 分钟",
                             "en": "; median {minutes} min to finish"},
    "report_funnel_stopped": {"zh": "；停下最多的是第 {number} 题（{count} 人）",
                              "en": "; most stopped at question {number} ({count})"},
    "completeness": {"zh": "📋 资料完整度 {percent}%（{filled}/{total} 项）",
                     "en": "📋 Record {percent}% complete ({filled} of {total} fields)"},
    "missing": {"zh": "缺少：{fields}", "en": "Missing: {fields}"},
    "coverage": {"zh": "🧭 最近一次复盘覆盖 SPIN {count}/4：{stages}",
                 "en": "🧭 Latest debrief covers {count} of 4 SPIN stages: {stages}"},
    "conflict": {"zh": "⚠️ {field}不一致：客户说「{customer}」（{customer_on}），"
                       "销售记录「{rep}」（{rep_on}）",
                 "en": "⚠️ {field} differs: the customer said “{customer}” ({customer_on}), "
                       "the rep recorded “{rep}” ({rep_on})"},
    "report_title": {"zh": "📊 团队周报 {start} 至 {end}",
                     "en": "📊 Team report {start} to {end}"},
    "report_totals": {"zh": "完成复盘 {debriefs} 份，客户问卷 {questionnaires} 份；"
                            "客户 {customers} 家，逾期回访 {overdue} 家。",
                      "en": "{debriefs} debriefs and {questionnaires} customer questionnaires "
                            "completed; {customers} customers, {overdue} overdue for a revisit."},
    "report_rep": {"zh": "• {name}：复盘 {debriefs}，问卷 {questionnaires}，逾期 {overdue}；"
                         "SPIN {coverage}",
                   "en": "• {name}: {debriefs} debriefs, {questionnaires} questionnaires, "
                         "{overdue} overdue; SPIN {coverage}"},
    "report_more_reps": {"zh": "…… 另有 {count} 位销售，见 /export。",
                         "en": "… and {count} more reps; see /export."},
    "report_least": {"zh": "资料最不完整：{customers}", "en": "Least complete: {customers}"},
    "report_conflicts": {"zh": "待核实的不一致 {count} 处：",
                         "en": "{count} open conflict(s) to check:"},
    "report_conflict": {"zh": "  {customer} · {field}：客户「{customer_said}」/ 销售「{rep_said}」",
                        "en": "  {customer} · {field}: customer “{customer_said}” / "
                              "rep “{rep_said}”"},
}


def say(key: str, lang: str, **params: Any) -> str:
    return from_catalog(MESSAGES, key, lang, **params)


def _join(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()
