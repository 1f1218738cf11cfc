"""Moving an interview on from chat input, and saying what happened."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from chat.actions import Button, Edit, Send, clip
from conversation.context import Ctx
from conversation.render import keyboard, prompt_text, summary_text
from conversation.texts import CONSENT_VERSION, say
from flows.answer_checks import display
from flows.card_fields import field_label
from flows.i18n import pick
from flows.messages import progress
from flows.model import Flow, QuestionType
from flows.outcome import question_text, summarise
from flows.state import InterviewState
from flows.steps import Completed, Prompt
from services import questionnaire_journey as journey
from services.follow_up_planner import Scheduled
from services.interview_service import Turn
from storage import consents
from storage import interviews as interview_rows
from storage.models import Answer, Interview


def scheduled_lines(scheduled: Scheduled, lang: str) -> list[str]:
    """What finishing an interview scheduled, in the owner's time zone; or why nothing."""
    if scheduled.no_owner:
        return [say("no_owner", lang)]
    zone = ZoneInfo(scheduled.zone)
    lines = [say("scheduled_follow_up", lang, owner=scheduled.owner,
                 when=due.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
             for due in scheduled.follow_ups]
    if not lines:
        lines.append(say("scheduled_nothing", lang))
    if scheduled.revisit_on is not None:
        lines.append(say("scheduled_revisit", lang, day=scheduled.revisit_on.isoformat()))
    if scheduled.clean_up:
        fields = ("、" if lang == "zh" else ", ").join(field_label(f, lang)
                                                      for f in scheduled.clean_up)
        lines.append(say("scheduled_clean_up", lang, fields=fields))
    return lines


def show_turn(ctx: Ctx, turn: Turn, lead: str | None = None) -> None:
    """One message: the next question (with its buttons), or the closing summary."""
    interview_flow = ctx.flows[turn.flow_id]
    step = turn.step
    if isinstance(step, Completed):
        return
    text = prompt_text(interview_flow, step, ctx.lang, lead or turn.notice)
    if step.kind == QuestionType.PHONE and step.mode == "answer":
        # one keyboard per message: the share-my-number button, with the commands in words
        hints = [c for c, shown in (("/skip", not step.required), ("/back", step.can_back))
                 if shown]
        text = clip(text + ("\n\n" + " · ".join(hints) if hints else ""))
        ctx.actions.append(Send(ctx.chat_id, text, (), say("share_phone", ctx.lang)))
        return
    buttons = keyboard(interview_flow, turn.interview_id, step, ctx.lang, list(step.selected))
    if turn.resumable is not None:  # stopped with /cancel before: offer to go on with it
        stopped, count = turn.resumable
        buttons = ((Button(say("resume_button", ctx.lang, count=count),
                           f"reopen:{stopped}.{turn.interview_id}"),), *buttons)
    ctx.actions.append(Send(ctx.chat_id, text, buttons))


async def after_turn(ctx: Ctx, turn: Turn, lead: str | None = None) -> None:
    """Show the next step; on completion thank the respondent and tell the inviting rep."""
    if not isinstance(turn.step, Completed):
        show_turn(ctx, turn, lead)
        return
    flow = ctx.flows[turn.flow_id]
    thanks = say("thanks_rep" if ctx.user is not None else "thanks_customer", ctx.lang)
    planned = "\n".join(scheduled_lines(turn.scheduled, ctx.lang)) \
        if ctx.user is not None and turn.scheduled is not None else None
    hint = say("correct_hint", ctx.lang) if ctx.user is None else None
    ctx.actions.append(Send(ctx.chat_id, clip("\n\n".join(
        p for p in (lead, thanks, planned, summary_text(turn.step, ctx.lang), hint) if p))))
    # the rep who sent the invite hears about it, in the language they use with the bot
    inviter = await journey.inviter_of(ctx.session, turn.interview_id)
    if inviter is not None:
        ctx.actions.append(Send(inviter.chat_id, clip(rep_summary(
            flow, inviter.interview, inviter.customer, inviter.lang))))


def rep_summary(flow: Flow, interview: Interview, customer: str, lang: str) -> str:
    """What the inviting rep is told when a customer finishes (in Telegram or on the web)."""
    lines = summarise(flow, InterviewState.from_json(interview.state), lang)
    summary = "\n".join(f"• {line.question}\n  {line.answer}" for line in lines)
    return say("rep_notified", lang, customer=customer, flow=pick(flow.title, lang),
               summary=summary)


def corrected_text(flow: Flow, interview: Interview, customer: str, question_id: str,
                   before: Answer | None, after: Answer | None, lang: str) -> str:
    """What the inviting rep is told when the customer corrects an answer."""
    state = InterviewState.from_json(interview.state)
    question = flow.question(question_id)

    def shown(row: Answer | None) -> str:
        return "—" if row is None else display(question, row.value, row.other_text, lang)
    return say("questionnaire_corrected", lang, customer=customer, flow=pick(flow.title, lang),
               question=question_text(flow, state, question, lang), before=shown(before),
               after=shown(after))


async def current(ctx: Ctx) -> Interview | None:
    """The respondent's unfinished interview. A customer's counts only while their consent
    stands: no answer of theirs is taken without it."""
    user_id, known = ctx.incoming.user_id, ctx.known
    interview = None if user_id in known.fresh else known.interviews.get(ctx.respondent.key)
    if interview is None or interview.status != "active":
        interview = await interview_rows.current_for(ctx.session, ctx.respondent.key)
    if interview is None or ctx.user is not None:
        return interview
    decision = None if user_id in known.fresh else known.consents.get(
        (user_id, interview.customer_id))
    if decision is None:
        decision = await consents.latest(ctx.session, user_id, interview.customer_id,
                                         CONSENT_VERSION)
    return interview if decision == "accepted" else None


def mark_pressed(ctx: Ctx, chosen: str | None, *, tick: bool = True) -> None:
    """Edit the message whose button was pressed: buttons gone, the choice shown (ticked;
    `tick=False`: a remark, such as "no longer active"). A channel that cannot change a sent
    message (DingTalk) is told the choice in a message of its own."""
    incoming = ctx.incoming
    shown = f"✓ {chosen}" if tick else chosen
    if not ctx.channel.edits:
        if shown:
            ctx.actions.append(Send(ctx.chat_id, shown))
        return
    if incoming.message_id is None:
        return
    original = incoming.message_text or ""
    text = f"{original}\n\n{shown}".lstrip("\n") if chosen else original
    ctx.actions.append(Edit(ctx.chat_id, incoming.message_id, text or "✓"))


def status_line(ctx: Ctx, interview: Interview, step: Prompt | Completed) -> str:
    flow = ctx.flows[interview.flow_id]
    if isinstance(step, Completed):
        return say("no_interview", ctx.lang)
    return say("status", ctx.lang, flow=pick(flow.title, ctx.lang),
               progress=progress(step.number, step.total, step.exact, ctx.lang))
