"""A brief (services.briefing) as lines of text, for a chat message or a terminal, in the
reader's language and without ids: people by name, choices by label, dates in the
reader's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from conversation import texts
from flows.briefing import FIELD_GAPS, Suggestion
from flows.card_fields import field_label, stage_label
from flows.deal_warnings import DealWarning
from flows.i18n import from_catalog, pick
from flows.model import Flow
from flows.piping import fill
from flows.quality import STAGES
from services.briefing import Brief, Fact, LastInteraction
from services.exporting import choice_labels, label_of
from storage.models import Contact, DealWarningRow

TEXTS: dict[str, dict[str, str]] = {
    "title": {"zh": "🧾 拜访前简报：{customer}（负责人：{owner}）",
              "en": "🧾 Before the call: {customer} (owner: {owner})"},
    "nobody": {"zh": "无", "en": "nobody"},
    "facts": {"zh": "【已知】", "en": "[What we know]"},
    "no_facts": {"zh": "还没有记录任何关键信息。", "en": "Nothing key recorded yet."},
    "fact": {"zh": "• {field}：{value}（{who}，{day}）", "en": "• {field}: {value} ({who}, {day})"},
    "by_rep": {"zh": "销售 {name}", "en": "rep {name}"},
    "by_customer": {"zh": "客户 {name}", "en": "customer {name}"},
    "the_customer": {"zh": "客户", "en": "the customer"},
    "contacts": {"zh": "【联系人】", "en": "[Contacts]"},
    "no_contacts": {"zh": "还没有联系人。", "en": "No contact yet."},
    "no_role": {"zh": "角色未知", "en": "role unknown"},
    "last": {"zh": "【上次互动】{day}：{what}", "en": "[Last interaction] {day}: {what}"},
    "last_interview": {"zh": "{flow}（{who}）", "en": "{flow} ({who})"},
    "last_note": {"zh": "备注（{who}）：{text}", "en": "note ({who}): {text}"},
    "never": {"zh": "【上次互动】还没有。", "en": "[Last interaction] none yet."},
    "reminders": {"zh": "【待办】", "en": "[Open reminders]"},
    "reminder": {"zh": "• {what}（{day}）", "en": "• {what} ({day})"},
    "conflicts": {"zh": "【说法不一致】", "en": "[Where the customer and the rep differ]"},
    "conflict": {"zh": "• {field}：客户说“{customer}”，销售记“{rep}”",
                 "en": "• {field}: the customer said “{customer}”, the rep recorded “{rep}”"},
    "warnings": {"zh": "【风险提醒】", "en": "[Warnings]"},
    "warn_no_activity": {"zh": "⚠️ {days} 天没有任何记录", "en": "⚠️ no activity for {days} days"},
    "warn_no_decision_maker": {"zh": "⚠️ {count} 次复盘后仍未确定决策人",
                               "en": "⚠️ no decision-maker after {count} debriefs"},
    "warn_budget_unknown": {"zh": "⚠️ {count} 次复盘后预算仍未知",
                            "en": "⚠️ budget still unknown after {count} debriefs"},
    "warn_timeline_unknown": {"zh": "⚠️ {count} 次复盘后采购时间仍未知",
                              "en": "⚠️ timeline still unknown after {count} debriefs"},
    "warn_purchase_date_passed": {"zh": "⚠️ 客户给出的采购时间已过去 {days} 天",
                                  "en": "⚠️ the purchase date they gave passed {days} days ago"},
    "warn_disagreement": {"zh": "⚠️ 客户与销售有 {count} 项关键信息说法不一",
                          "en": "⚠️ customer and rep disagree on {count} key fact(s)"},
    "warn_need_payoff_never": {"zh": "⚠️ 需求效益阶段从未问到",
                               "en": "⚠️ need-payoff never covered"},
    "warn_single_contact": {"zh": "⚠️ 重要客户只有 {count} 位联系人",
                            "en": "⚠️ a key customer with only {count} contact(s)"},
    "warn_follow_up_overdue": {"zh": "⚠️ 跟进已逾期 {days} 天",
                               "en": "⚠️ a follow-up overdue by {days} days"},
    "missing": {"zh": "【还缺什么（按 SPIN 阶段）】", "en": "[Still missing, by SPIN stage]"},
    "stage_never": {"zh": "• {stage}：从未问到", "en": "• {stage}: never covered"},
    "stage_fields": {"zh": "• {stage}：{fields}", "en": "• {stage}: {fields}"},
    "nothing_missing": {"zh": "• 没有缺项。", "en": "• Nothing missing."},
    "next": {"zh": "【下次可以问】", "en": "[Ask next]"},
    "no_next": {"zh": "题库里没有尚未问过的相关问题。",
                "en": "The question bank has nothing relevant left to ask."},
    "question": {"zh": "{n}. {text}\n   ↳ {reason}", "en": "{n}. {text}\n   ↳ {reason}"},
    "why_decision_maker": {"zh": "还没有确定决策人", "en": "no decision-maker named yet"},
    "why_field": {"zh": "{field}未知", "en": "{field} unknown"},
    "why_stage": {"zh": "{stage}阶段从未问到", "en": "{stage} never covered"},
    "why_thin": {"zh": "{stage}阶段了解最少", "en": "least known so far: {stage}"},
}


def say(key: str, lang: str, **params: Any) -> str:
    return from_catalog(TEXTS, key, lang, **params)


def brief_lines(brief: Brief, flows: Mapping[str, Flow], lang: str,
                zone: ZoneInfo) -> list[str]:
    """The brief, in `lang`, dates in `zone`."""
    choices = choice_labels(dict(flows), lang)
    lines = [say("title", lang, customer=brief.customer.name,
                 owner=brief.owner or say("nobody", lang))]
    if brief.warnings:
        lines.append(say("warnings", lang))
        lines += [warning_line(w, lang) for w in brief.warnings]
    lines.append(say("facts", lang))
    lines += [_fact(f, lang, zone) for f in brief.facts] or [say("no_facts", lang)]
    lines.append(say("contacts", lang))
    lines += [_contact(c, choices, lang) for c in brief.contacts] or [say("no_contacts", lang)]
    lines.append(_last(brief.last, flows, lang, zone))
    if brief.reminders:
        lines.append(say("reminders", lang))
        lines += [say("reminder", lang, what=texts.say(f"agenda_{r.kind}", lang),
                      day=_day(r.due_at, zone)) for r in brief.reminders]
    if brief.conflicts:
        lines.append(say("conflicts", lang))
        lines += [say("conflict", lang, field=field_label(c.field, lang),
                      customer=c.customer.shown, rep=c.rep.shown) for c in brief.conflicts]
    lines.append(say("missing", lang))
    lines += _missing(brief, lang)
    lines.append(say("next", lang))
    lines += [_question(n, s, flows, lang) for n, s in enumerate(brief.plan.suggestions, 1)] \
        or [say("no_next", lang)]
    return lines


def warning_line(warning: DealWarning | DealWarningRow, lang: str) -> str:
    """One deal warning in words, with its figures."""
    return say(f"warn_{warning.kind}", lang, days=warning.days, count=warning.count)


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def _fact(fact: Fact, lang: str, zone: ZoneInfo) -> str:
    if fact.by_rep:
        who = say("by_rep", lang, name=fact.who or "")
    else:
        who = say("by_customer", lang, name=fact.who) if fact.who else say("the_customer", lang)
    return say("fact", lang, field=field_label(fact.field, lang), value=fact.shown,
               who=who.strip(), day=_day(fact.at, zone))


def _contact(contact: Contact, choices: dict[str, dict[str, str]], lang: str) -> str:
    role = label_of(choices, "contact.decision_role", contact.decision_role) \
        if contact.decision_role else say("no_role", lang)
    return "👤 " + " · ".join(str(p) for p in (contact.name, contact.title, role) if p)


def _last(last: LastInteraction | None, flows: Mapping[str, Flow], lang: str,
          zone: ZoneInfo) -> str:
    if last is None:
        return say("never", lang)
    who = last.who or say("the_customer", lang)
    if last.flow_id is None:
        what = say("last_note", lang, who=who, text=(last.note or "")[:80])
    else:
        flow = flows.get(last.flow_id)
        what = say("last_interview", lang, who=who,
                   flow=pick(flow.title, lang) if flow is not None else last.flow_id)
    return say("last", lang, day=_day(last.at, zone), what=what)


def _missing(brief: Brief, lang: str) -> list[str]:
    lines = []
    for stage in STAGES:
        fields = brief.plan.missing_by_stage.get(stage, ())
        if stage in brief.plan.uncovered:
            lines.append(say("stage_never", lang, stage=stage_label(stage, lang)))
        elif fields:
            names = ("、" if lang == "zh" else ", ").join(field_label(f, lang) for f in fields)
            lines.append(say("stage_fields", lang, stage=stage_label(stage, lang), fields=names))
    return lines or [say("nothing_missing", lang)]


def _question(number: int, suggestion: Suggestion, flows: Mapping[str, Flow],
              lang: str) -> str:
    text = fill(pick(suggestion.question.text, lang), lambda _name: None)
    return say("question", lang, n=number, text=text, reason=_reason(suggestion, lang))


def _reason(suggestion: Suggestion, lang: str) -> str:
    gap = suggestion.gap
    if suggestion.thin:
        return say("why_thin", lang, stage=stage_label(gap, lang))
    if gap == "decision_maker":
        return say("why_decision_maker", lang)
    if gap in FIELD_GAPS:
        return say("why_field", lang, field=field_label(FIELD_GAPS[gap], lang))
    return say("why_stage", lang, stage=stage_label(gap, lang))
