"""What managers ask the bot for: the data as a file (/export) and the team report
(/report). Both cover only the customers the asker may see, and both are audited."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from chat.actions import MAX_CAPTION, Send, SendFile
from conversation.context import Ctx
from conversation.texts import say
from services import data_out
from services.chart import figures
from services.exporting import FORMATS, MIN_REASON, Format, export_reason
from services.reports import summary_text
from storage.reporting import visible_owner_ids

MAX_UPLOAD_MB = 50  # what the Bot API accepts from a bot
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


async def export(ctx: Ctx, args: str) -> None:
    assert ctx.user is not None
    fmt: Format = "xlsx"
    flow_id: str | None = None
    since: datetime | None = None
    zone = ZoneInfo(_timezone(ctx))
    words = args.split()
    reason = ""
    for index, word in enumerate(words):
        lowered = word.lower()
        if lowered in FORMATS:
            fmt = lowered
        elif word in ctx.flows:
            flow_id = word
        elif _DATE.fullmatch(word) and _valid_day(word):
            since = datetime.combine(date.fromisoformat(word), time(), zone)
        elif index == len(words) - 1 and word.isascii() and len(word) <= 5:
            ctx.actions.append(Send(ctx.chat_id, say("export_usage", ctx.lang, word=word[:40],
                                                     flows=", ".join(ctx.flows))))
            return  # a lone short word is a mistyped option ("pdf"), not a reason
        else:  # the rest says why (seed 001: copying data out needs a registered reason)
            reason = " ".join(words[index:])
            break
    reason, problem = export_reason(reason)
    if problem is not None:
        key = "export_reason" if problem == "missing" else "export_reason_short"
        ctx.actions.append(Send(ctx.chat_id, say(key, ctx.lang, flows=", ".join(ctx.flows),
                                                 reason=reason, least=MIN_REASON)))
        return
    owners = await visible_owner_ids(ctx.session, ctx.user)
    exported, too_big = await data_out.export(
        ctx.session, dict(ctx.flows), owners, fmt=fmt, lang=ctx.lang, now=ctx.now,
        timezone=_timezone(ctx), reason=reason, actor=ctx.respondent.actor,
        channel=ctx.incoming.channel, flow_id=flow_id, since=since,
        limit_bytes=MAX_UPLOAD_MB * 1024 * 1024)
    size = len(exported.content)
    if too_big:
        ctx.actions.append(Send(ctx.chat_id, say("export_too_big", ctx.lang,
                                                 size=round(size / 1024 / 1024, 1),
                                                 limit=MAX_UPLOAD_MB)))
        return
    caption = say("export_caption", ctx.lang, interviews=exported.interviews,
                  customers=exported.customers, contacts=exported.contacts)
    ctx.actions.append(SendFile(ctx.chat_id, exported.filename, caption,
                                base64.b64encode(exported.content).decode("ascii")))


def _timezone(ctx: Ctx) -> str:
    """The asker's own time zone, else the team's."""
    return (ctx.user.timezone if ctx.user is not None and ctx.user.timezone
            else ctx.interviews.zone.key)


def _valid_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


async def report(ctx: Ctx, args: str) -> None:
    assert ctx.user is not None
    days = 7
    if args.strip():
        if not args.strip().isdecimal() or not 1 <= int(args.strip()) <= 366:
            ctx.actions.append(Send(ctx.chat_id, say("report_usage", ctx.lang)))
            return
        days = int(args.strip())
    owners = await visible_owner_ids(ctx.session, ctx.user)
    built = await data_out.report(ctx.session, dict(ctx.flows), owners, now=ctx.now,
                                  timezone=_timezone(ctx), lang=ctx.lang, days=days,
                                  actor=ctx.respondent.actor, channel=ctx.incoming.channel)
    summary = summary_text(built, ctx.lang)
    title = summary.split("\n", 1)[0]
    ctx.actions.append(SendFile(ctx.chat_id, f"report-{built.end.isoformat()}.png",
                                title[:MAX_CAPTION], chart=figures(built.data()), lang=ctx.lang))
    ctx.actions.append(Send(ctx.chat_id, summary))
