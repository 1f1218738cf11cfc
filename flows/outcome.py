"""What a finished interview amounts to: the summary shown back, and the `on_complete` decisions."""

from __future__ import annotations

from flows.answer_checks import display
from flows.i18n import pick
from flows.model import Flow, Question
from flows.piping import fill
from flows.state import InterviewState
from flows.steps import FollowUpPlan, Outcome, SummaryLine


def summarise(flow: Flow, state: InterviewState, lang: str) -> list[SummaryLine]:
    """Every answered question in flow order, as the respondent would read it. A customer's
    copy leaves out what they skipped and their choice to say more (a rep's summary says
    "(skipped)": what is missing)."""
    lines = []
    for question in flow.questions:
        if question.id not in state.answers or (flow.audience == "customer" and (
                state.answers[question.id] is None or question.opens is not None)):
            continue  # a customer's copy: not what they skipped, nor "say more?"
        text = question_text(flow, state, question, lang)
        answer = display(question, state.answers[question.id], state.other.get(question.id), lang)
        lines.append(SummaryLine(question.id, text, answer))
    return lines


def question_text(flow: Flow, state: InterviewState, question: Question, lang: str) -> str:
    """The question as the respondent read it (earlier answers filled in)."""
    return fill(pick(question.text, lang), lambda name: piped_answer(flow, state, name, lang))


def piped_answer(flow: Flow, state: InterviewState, name: str, lang: str) -> str | None:
    """How answer `name` reads inside another question's text (None when missing)."""
    if state.answers.get(name) is None:
        return None
    return display(flow.question(name), state.answers[name], state.other.get(name), lang,
                   piped=True)


def decide_outcome(flow: Flow, state: InterviewState) -> Outcome:
    """Apply every rule whose condition holds, in order; a later `set` overrides an earlier one."""
    tags: list[str] = []
    values: dict[str, str] = {}
    follow_ups: list[FollowUpPlan] = []
    for rule in flow.on_complete:
        if rule.condition is not None and not rule.condition.evaluate(state.answers):
            continue
        tags += [t for t in rule.tags if t not in tags]
        values.update(rule.set)
        plan = rule.follow_up
        if plan is None:
            continue
        if plan.on is not None:
            when = state.answers.get(plan.on)
            if isinstance(when, str):
                follow_ups.append(FollowUpPlan(None, when, plan.note))
        else:
            follow_ups.append(FollowUpPlan(plan.after, None, plan.note))
    return Outcome(tuple(tags), values, tuple(follow_ups))
