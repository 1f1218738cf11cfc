"""Pressed buttons: a question's options, consent, customer picks, reminders, language.

Every press is answered (Telegram shows a spinner until it is): with nothing when it did
something, with a short notice when the button is stale or not this person's.
"""

from __future__ import annotations

from chat.actions import AnswerCallback, Edit
from conversation import (
    agenda,
    callback_data,
    customer_entry,
    duplicate_choices,
    reminder_buttons,
    staff_commands,
)
from conversation.context import Ctx
from conversation.interview_commands import language
from conversation.interview_replies import after_turn, mark_pressed, show_turn
from conversation.render import keyboard, prompt_text
from conversation.texts import say
from flows import engine
from flows.messages import message
from flows.model import Flow, QuestionType
from flows.resume import resume
from flows.state import InterviewState
from flows.steps import Prompt
from services.interview_service import InterviewError
from storage import interviews
from storage.models import Interview


async def press(ctx: Ctx) -> None:
    parsed = callback_data.parse(ctx.incoming.callback_data or "")
    done = False
    if isinstance(parsed, callback_data.QuestionButton):
        done = await _question_button(ctx, parsed)
    elif parsed is not None:
        kind, argument = parsed
        if kind == "consent":
            done = await customer_entry.answer_consent(ctx, argument)
        elif kind in ("pick", "new"):
            done = await staff_commands.picked(ctx, kind, argument)
        elif kind == "rem":
            done = await reminder_buttons.press(ctx, argument)
        elif kind == "dup":
            done = await duplicate_choices.chosen(ctx, argument)
        elif kind == "share":
            done = await duplicate_choices.share(ctx, argument)
        elif kind == "cont":
            done = await agenda.continue_interview(ctx, argument)
        elif kind == "reopen":
            done = await _reopen(ctx, argument)
        elif kind == "lang":
            mark_pressed(ctx, None)
            await language(ctx, argument)
            done = True
    if not done:  # an interview ended, a reminder dealt with: no live buttons left on it
        _expire(ctx)
    if ctx.incoming.callback_id:  # first of the replies: it stops the spinner
        notice = None if done else say("stale_button", ctx.lang)
        ctx.actions.insert(0, AnswerCallback(ctx.incoming.callback_id, notice))


async def _live_question(ctx: Ctx, button: callback_data.QuestionButton
                         ) -> tuple[Interview, Flow, Prompt] | None:
    """The interview and prompt a button belongs to, if it is still the current one."""
    interview = await interviews.lock(ctx.session, button.interview_id)
    if (interview is None or interview.status != "active"
            or interview.respondent_key != ctx.respondent.key):
        return None
    flow = ctx.flows.get(interview.flow_id)
    if flow is None or not flow.fingerprint.startswith(button.fingerprint):
        return None
    state, _ = resume(flow, InterviewState.from_json(interview.state))
    step = engine.view(flow, state, ctx.lang)
    if not isinstance(step, Prompt) or flow.index_of(step.question_id) != (
            button.question_index):
        return None
    if button.option >= len(step.options):
        return None
    return interview, flow, step


async def _reopen(ctx: Ctx, argument: str) -> bool:
    """"Go on where you stopped": the interview stopped with /cancel, instead of the new one."""
    stopped, _, fresh = argument.partition(".")
    if not (stopped.isdecimal() and fresh.isdecimal()):
        return False
    try:
        turn = await ctx.interviews.reopen(ctx.session, int(stopped), int(fresh),
                                           ctx.respondent, ctx.lang)
    except InterviewError:
        return False
    mark_pressed(ctx, None)
    await after_turn(ctx, turn)
    return True


async def _moved_on(ctx: Ctx, button: callback_data.QuestionButton) -> bool:
    """A button of a question this respondent's interview has since left (answered by
    typing, on another device, or with another button): nothing is applied; they are
    told, and shown where the interview stands."""
    interview = await interviews.lock(ctx.session, button.interview_id)
    if (interview is None or interview.status != "active"
            or interview.respondent_key != ctx.respondent.key):
        return False  # not theirs, or over: the plain "no longer active"
    turn = await ctx.interviews.show(ctx.session, interview.id, ctx.lang)
    _expire(ctx)  # the message left behind loses its buttons
    show_turn(ctx, turn, message("moved_on", ctx.lang))
    return True


def _expire(ctx: Ctx) -> None:
    """The pressed message, its buttons taken off, marked as no longer active."""
    mark_pressed(ctx, say("button_expired", ctx.lang), tick=False)


async def _question_button(ctx: Ctx, button: callback_data.QuestionButton) -> bool:
    live = await _live_question(ctx, button)
    if live is None:
        return await _moved_on(ctx, button)
    interview, flow, step = live
    service, update_id, iid = ctx.interviews, ctx.incoming.update_id, interview.id
    if button.action == "t":
        option_id = step.options[button.option][0]
        turn = await service.toggle(ctx.session, iid, option_id, ctx.lang, update_id)
        if isinstance(turn.step, Prompt) and ctx.incoming.message_id is not None:
            ctx.actions.append(Edit(ctx.chat_id, ctx.incoming.message_id,
                                    prompt_text(flow, turn.step, ctx.lang),
                                    keyboard(flow, iid, turn.step, ctx.lang,
                                             list(turn.step.selected))))
        return True
    if button.action == "a":
        option_id, label = step.options[button.option]
        raw = option_id if step.kind == QuestionType.SCALE and step.mode == "answer" \
            else str(button.option + 1)
        turn = await service.answer(ctx.session, iid, raw, ctx.lang, update_id)
        chosen: str | None = label
    elif button.action == "d":
        turn = await service.finish_selection(ctx.session, iid, ctx.lang, update_id)
        labels = dict(step.options)
        chosen = "、".join(labels[i] for i in step.selected) or None
    elif button.action == "s":
        turn = await service.skip(ctx.session, iid, ctx.lang, update_id)
        chosen = say("skip_button", ctx.lang)
    else:
        turn = await service.back(ctx.session, iid, ctx.lang, update_id)
        chosen = None
    mark_pressed(ctx, chosen)
    await after_turn(ctx, turn)
    return True
