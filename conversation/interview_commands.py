"""Commands anyone may give: help, the language, and moving around the current interview."""

from __future__ import annotations

from chat.actions import Button, Send
from conversation.context import Ctx
from conversation.customer_entry import open_invite
from conversation.interview_replies import after_turn, current, status_line
from conversation.texts import say
from storage.models import Interview


def help_text(ctx: Ctx) -> None:
    if ctx.user is None:
        ctx.actions.append(Send(ctx.chat_id, say("refuse", ctx.lang)))
        return
    text = say("help_staff", ctx.lang)
    if ctx.user.role in ("manager", "admin"):
        text += "\n\n" + say("help_manager", ctx.lang)
    if ctx.user.role == "admin":
        text += "\n\n" + say("help_admin", ctx.lang)
    ctx.actions.append(Send(ctx.chat_id, text))


async def start(ctx: Ctx, args: str) -> None:
    """`/start <invite token>` opens an invite; a bare /start is /help."""
    if args:
        await open_invite(ctx, args)
    else:
        await help_(ctx, args)


async def help_(ctx: Ctx, _args: str) -> None:
    interview = await current(ctx)
    if interview is not None and ctx.user is None:
        ctx.actions.append(Send(ctx.chat_id, say("help_customer", ctx.lang)))
        await after_turn(ctx, await ctx.interviews.show(ctx.session, interview.id, ctx.lang))
    else:
        help_text(ctx)


async def language(ctx: Ctx, code: str) -> None:
    if code.strip().lower() not in ("zh", "en"):
        buttons = ((Button("中文", "lang:zh"), Button("English", "lang:en")),)
        ctx.actions.append(Send(ctx.chat_id, say("choose_language", ctx.lang), buttons))
        return
    ctx.account.language, ctx.account.language_chosen = code.strip().lower(), True
    lead = say("language_set", ctx.lang)
    interview = await current(ctx)
    if interview is None:
        ctx.actions.append(Send(ctx.chat_id, lead))
        return
    await after_turn(ctx, await ctx.interviews.show(ctx.session, interview.id, ctx.lang), lead)


async def _interview_or_say_none(ctx: Ctx) -> Interview | None:
    interview = await current(ctx)
    if interview is None:
        ctx.actions.append(Send(ctx.chat_id, say("refuse" if ctx.user is None
                                                 else "no_interview", ctx.lang)))
    return interview


async def cancel(ctx: Ctx, _args: str) -> None:
    interview = await _interview_or_say_none(ctx)
    if interview is not None:
        await ctx.interviews.cancel(ctx.session, interview.id, ctx.respondent)
        ctx.actions.append(Send(ctx.chat_id, say("cancelled", ctx.lang)))


async def status(ctx: Ctx, _args: str) -> None:
    interview = await _interview_or_say_none(ctx)
    if interview is None:
        return
    turn = await ctx.interviews.show(ctx.session, interview.id, ctx.lang)
    ctx.actions.append(Send(ctx.chat_id, status_line(ctx, interview, turn.step)))


async def back(ctx: Ctx, _args: str) -> None:
    interview = await _interview_or_say_none(ctx)
    if interview is not None:
        await after_turn(ctx, await ctx.interviews.back(ctx.session, interview.id, ctx.lang,
                                                        ctx.incoming.update_id))


async def skip(ctx: Ctx, _args: str) -> None:
    interview = await _interview_or_say_none(ctx)
    if interview is not None:
        await after_turn(ctx, await ctx.interviews.skip(ctx.session, interview.id, ctx.lang,
                                                        ctx.incoming.update_id))
