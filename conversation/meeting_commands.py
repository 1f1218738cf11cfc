"""/meet <customer> <when>: a meeting set outside a debrief, and the brief its owner gets
before it (services.meetings). `/meet <customer>` shows the one planned, `/meet <customer>
取消|cancel` cancels it; setting a time again moves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chat.actions import Send, clip
from conversation.context import Ctx
from flows.i18n import from_catalog
from flows.meeting_time import MeetingTimeError, parse_meeting_time
from services import meetings
from storage.models import Customer

CANCEL_WORDS = ("取消", "删除", "cancel", "delete", "drop")
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

TEXTS: dict[str, dict[str, str]] = {
    "meet_set": {"zh": "📅 已安排与 {customer} 的会面：{when}。\n"
                       "🧾 会前简报将在 {brief_at} 发给 {owner}。",
                 "en": "📅 Meeting with {customer} set: {when}.\n🧾 The brief goes to {owner} "
                       "at {brief_at}."},
    "meet_moved": {"zh": "📅 与 {customer} 的会面已从 {before} 改到 {when}。\n"
                         "🧾 会前简报改为 {brief_at} 发给 {owner}。",
                   "en": "📅 Meeting with {customer} moved from {before} to {when}.\n🧾 The "
                         "brief now goes to {owner} at {brief_at}."},
    "meet_cancelled": {"zh": "已取消与 {customer} 在 {when} 的会面，会前简报不再发送。",
                       "en": "The meeting with {customer} on {when} is cancelled; no brief will "
                             "be sent."},
    "meet_none": {"zh": "{customer} 目前没有安排会面。安排会面：/meet {customer} 明天下午3点",
                  "en": "No meeting with {customer} is planned. To set one: /meet {customer} "
                        "tomorrow 3pm"},
    "meet_current": {"zh": "📅 与 {customer} 的下次会面：{when}（{source}）。",
                     "en": "📅 Next meeting with {customer}: {when} ({source})."},
    "source_meet": {"zh": "用 /meet 安排", "en": "set with /meet"},
    "source_debrief": {"zh": "复盘时约定的下次联系", "en": "the next contact agreed in a debrief"},
    "all_day": {"zh": "全天", "en": "all day"},
    "meet_time_unknown": {"zh": "⚠️ 看不懂“{words}”。时间可以这样写：{examples}",
                          "en": "⚠️ “{words}” is not a time I can read. Write it like: "
                                "{examples}"},
    "meet_time_bad": {"zh": "⚠️ “{words}”不是有效的日期或时间。时间可以这样写：{examples}",
                      "en": "⚠️ “{words}” is not a real date or time. Write it like: {examples}"},
    "meet_time_past": {"zh": "⚠️ {when} 已经过去了，请给一个将来的时间。",
                       "en": "⚠️ {when} has passed; give a time still ahead."},
    "meet_time_far": {"zh": "⚠️ {when} 在 {days} 天以后，太远了。",
                      "en": "⚠️ {when} is more than {days} days ahead."},
}


def say(key: str, lang: str, **params: Any) -> str:
    return from_catalog(TEXTS, key, lang, **params)


def shown_when(moment: datetime, all_day: bool, zone: ZoneInfo, lang: str) -> str:
    """A meeting's time as people read it: "12月8日（周二）15:00", "Tue 8 Dec 15:00"."""
    local = moment.astimezone(zone)
    clock = say("all_day", lang) if all_day else local.strftime("%H:%M")
    if lang == "zh":
        return f"{local.month}月{local.day}日（周{WEEKDAYS['zh'][local.weekday()]}）{clock}"
    return f"{WEEKDAYS['en'][local.weekday()]} {local.day} {local.strftime('%b')} {clock}"


async def on_customer(ctx: Ctx, customer: Customer, rest: str) -> None:
    assert ctx.user is not None
    owner = await meetings.owner_of(ctx.session, customer, ctx.user)
    zone = ZoneInfo(owner.timezone) if owner.timezone else ctx.interviews.zone
    lang, text = ctx.lang, rest.strip()
    if not text or text.lower() in CANCEL_WORDS:
        meeting = await (meetings.cancel_meeting(
            ctx.session, customer, actor=ctx.respondent.actor, channel=ctx.incoming.channel,
            now=ctx.now) if text else meetings.upcoming(ctx.session, customer.id, ctx.now))
        if meeting is None:
            reply = say("meet_none", lang, customer=customer.name)
        else:
            shown = shown_when(meeting.starts_at, meeting.all_day, zone, lang)
            reply = say("meet_cancelled", lang, customer=customer.name, when=shown) if text \
                else say("meet_current", lang, customer=customer.name, when=shown,
                         source=say(f"source_{meeting.source}", lang))
        ctx.actions.append(Send(ctx.chat_id, clip(reply)))
        return
    try:
        when = parse_meeting_time(text, ctx.now.astimezone(zone))
    except MeetingTimeError as error:
        ctx.actions.append(Send(ctx.chat_id, clip(say(error.key, lang, **error.params))))
        return
    planned = await meetings.set_meeting(
        ctx.session, ctx.interviews.planner, ctx.interviews.brief_rules, customer, owner, when,
        zone, source="meet", actor=ctx.respondent.actor, channel=ctx.incoming.channel,
        now=ctx.now)
    meeting = planned.meeting
    params = {"customer": customer.name, "owner": owner.name,
              "when": shown_when(meeting.starts_at, meeting.all_day, zone, lang),
              "brief_at": shown_when(planned.brief_at, False, zone, lang)}
    if planned.moved_from is not None:
        reply = say("meet_moved", lang, before=shown_when(
            planned.moved_from, planned.was_all_day, zone, lang), **params)
    else:
        reply = say("meet_set", lang, **params)
    ctx.actions.append(Send(ctx.chat_id, clip(reply)))
