"""Turning engine steps into chat messages with buttons."""

from __future__ import annotations

from chat.actions import Button, Keyboard, clip
from conversation.callback_data import question_button
from conversation.texts import say
from flows.i18n import pick
from flows.messages import progress
from flows.model import Flow, QuestionType
from flows.steps import Completed, Prompt

STAGE_ICONS = {"background": "📋", "pain_point": "🩹", "implication": "⚖️", "need_payoff": "🎯"}
BUTTON_TYPES = {QuestionType.CHOICE, QuestionType.YES_NO, QuestionType.SCALE,
                QuestionType.MULTI_CHOICE}


def prompt_text(flow: Flow, step: Prompt, lang: str, lead: str | None = None) -> str:
    head = f"{STAGE_ICONS.get(step.stage.value, '•')} {pick(flow.title, lang)} · " \
           f"{progress(step.number, step.total, step.exact, lang, short=True)}"
    parts = [p for p in (lead, f"⚠️ {step.error}" if step.error else None, step.notice, head)
             if p]
    if step.why:
        parts.append(f"💡 {step.why}")
    parts.append(step.text)
    if step.min_label or step.max_label:
        parts.append(f"{step.options[0][1]} = {step.min_label} … "
                     f"{step.options[-1][1]} = {step.max_label}")
    if step.current:
        parts.append(f"({step.current})")
    return clip("\n\n".join(parts))


def keyboard(flow: Flow, interview_id: int, step: Prompt, lang: str,
             selected: list[str] | None = None) -> Keyboard:
    index = flow.index_of(step.question_id)
    fp = flow.fingerprint
    rows: list[tuple[Button, ...]] = []
    if step.mode in ("confirm", "known") or (step.mode == "answer" and step.kind in BUTTON_TYPES):
        multi = step.mode == "answer" and step.kind == QuestionType.MULTI_CHOICE
        action = "t" if multi else "a"
        buttons = []
        for position, (option_id, label) in enumerate(step.options):
            mark = ("☑ " if option_id in (selected or []) else "☐ ") if multi else ""
            buttons.append(Button(clip_label(mark + label),
                                  question_button(action, interview_id, index, fp, position)))
        if step.kind == QuestionType.SCALE or step.mode in ("confirm", "known"):
            rows.append(tuple(buttons))
        else:
            rows += [(b,) for b in buttons]
        if multi:
            rows.append((Button(say("done_button", lang),
                                question_button("d", interview_id, index, fp)),))
    nav = []
    if step.can_back:
        nav.append(Button(say("back_button", lang), question_button("b", interview_id, index, fp)))
    if not step.required and step.mode == "answer":
        nav.append(Button(say("skip_button", lang), question_button("s", interview_id, index, fp)))
    if nav:
        rows.append(tuple(nav))
    return tuple(rows)


def clip_label(label: str) -> str:
    return label if len(label) <= 60 else label[:59] + "…"


def summary_text(step: Completed, lang: str, title: str | None = None) -> str:
    lines = [title or say("summary_title", lang)]
    lines += [f"• {line.question}\n  {line.answer}" for line in step.summary]
    return clip("\n".join(lines))
