"""Commands anyone may give: help, the language, and moving around the current interview."""

from __future__ import annotations

from chat.actions import Button, Send, clip
from conversation.context import Ctx
from conversation.interview_replies import after_turn, current, status_line
from conversation.permissions import stranger
from conversation.texts import say
from services.interview_service import InterviewError
from storage import interviews as interview_rows
from storage.models import Interview


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
        ctx.actions.append(Send(ctx.chat_id, say("no_interview", ctx.lang) if ctx.user
                                else stranger(ctx.lang, ctx.channel, ctx.incoming.account)))
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


async def correct(ctx: Ctx, args: str) -> None:
    """`/correct` lists the answers of the sender's questionnaire finished last that can be
    corrected (within 24 hours of finishing), numbered; `/correct 2 <answer>` changes one."""
    interview = await interview_rows.last_completed(ctx.session, ctx.respondent.key)
    if interview is None:
        ctx.actions.append(Send(ctx.chat_id, say("correct_nothing", ctx.lang)))
        return
    try:
        answers = await ctx.interviews.correctable(ctx.session, interview.id, ctx.lang,
                                                   ctx.respondent)
        number, _, answer = args.strip().partition(" ")
        if not number:
            lines = [f"{i}. {a.question}\n   {a.after}" for i, a in enumerate(answers, start=1)]
            ctx.actions.append(Send(ctx.chat_id, clip(say("correct_list", ctx.lang,
                                                          lines="\n".join(lines)))))
            return
        if not number.isdecimal() or not 1 <= int(number) <= len(answers) or not answer.strip():
            ctx.actions.append(Send(ctx.chat_id, say("correct_usage", ctx.lang,
                                                     count=len(answers))))
            return
        done = await ctx.interviews.correct(ctx.session, interview.id,
                                            answers[int(number) - 1].question_id,
                                            answer.strip(), ctx.lang, ctx.respondent)
    except InterviewError as exc:
        ctx.actions.append(Send(ctx.chat_id, str(exc)))
        return
    ctx.actions.append(Send(ctx.chat_id, say("corrected", ctx.lang, question=done.question,
                                             before=done.before, after=done.after)))
