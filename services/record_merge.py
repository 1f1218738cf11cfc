"""Merging a duplicate customer record into another, for the CLI and the bot alike:
the data moves (storage.merging), the audit records it on both ids, the kept record's
revisit is planned again, and the report says what moved in words."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows.card_fields import field_label
from flows.i18n import from_catalog
from services import events
from services.follow_up_planner import FollowUpPlanner
from storage import audit
from storage.merging import MergeReport, merge
from storage.models import Customer

TEXTS: dict[str, dict[str, str]] = {
    "merged": {"zh": "已把 {duplicate}（#{old}）合并到 {kept}（#{new}）。",
               "en": "Merged {duplicate} (#{old}) into {kept} (#{new})."},
    "moved": {"zh": "转来：{items}。", "en": "Moved: {items}."},
    "moved_nothing": {"zh": "没有需要转移的访谈、备注或提醒。",
                      "en": "No interviews, notes or reminders to move."},
    "filled": {"zh": "补上的字段：{fields}。", "en": "Filled from the duplicate: {fields}."},
    "differing": {"zh": "两边不同、保留了 #{new} 的：{fields}（请核对）。",
                  "en": "Different on both, kept #{new}'s: {fields} (please check)."},
    "stopped": {"zh": "两边都有未完成的同一问卷：保留 #{new} 的，停止了 {count} 个。",
                "en": "The same unfinished interview ran on both: #{new}'s goes on, {count} "
                      "stopped."},
    "co_owner": {"zh": "原负责人 {name} 现在是共同负责人。",
                 "en": "Its owner {name} is now a co-owner."},
    "same": {"zh": "这是同一条记录，无需合并。",
             "en": "That is the same record; nothing to merge."},
    "interviews": {"zh": "{n} 次访谈", "en": "{n} interview(s)"},
    "answers": {"zh": "{n} 条回答", "en": "{n} answer(s)"},
    "contacts": {"zh": "{n} 位联系人", "en": "{n} contact(s)"},
    "notes": {"zh": "{n} 条备注", "en": "{n} note(s)"},
    "reminders": {"zh": "{n} 条提醒", "en": "{n} reminder(s)"},
    "invites": {"zh": "{n} 个邀请链接", "en": "{n} invite link(s)"},
    "consents": {"zh": "{n} 条同意记录", "en": "{n} consent record(s)"},
}


def say(key: str, lang: str, **params: object) -> str:
    return from_catalog(TEXTS, key, lang, **params)


async def merge_records(session: AsyncSession, duplicate: Customer, kept: Customer, *,
                        actor: str, channel: str, now: datetime,
                        planner: FollowUpPlanner | None) -> MergeReport:
    old, new = duplicate.id, kept.id
    report = await merge(session, duplicate, kept, actor=actor, now=now)
    for entity_id in (old, new):
        await audit.append(session, at=now, actor=actor, action="customer.fold",
                           entity="customer", entity_id=entity_id, channel=channel,
                           fields=report.filled)
    events.customer_merged(session, old, kept, report.moved, now)
    if planner is not None:
        await planner.set_revisit(session, kept, now)
        await planner.one_follow_up_a_day(session, kept, now)
    return report


def report_lines(report: MergeReport, duplicate_name: str, old: int, kept: Customer,
                 lang: str, co_owner_name: str | None = None) -> list[str]:
    sep = "、" if lang == "zh" else ", "
    lines = [say("merged", lang, duplicate=duplicate_name, old=old, kept=kept.name,
                 new=kept.id)]
    items = [say(kind, lang, n=n) for kind, n in report.moved.items()]
    lines.append(say("moved", lang, items=sep.join(items)) if items
                 else say("moved_nothing", lang))
    if report.filled:
        lines.append(say("filled", lang, fields=sep.join(field_label(f, lang)
                                                          for f in report.filled)))
    if report.differing:
        lines.append(say("differing", lang, new=kept.id,
                         fields=sep.join(field_label(f, lang) for f in report.differing)))
    if report.stopped:
        lines.append(say("stopped", lang, new=kept.id, count=report.stopped))
    if co_owner_name:
        lines.append(say("co_owner", lang, name=co_owner_name))
    return lines
