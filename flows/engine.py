"""The interview state machine. Pure: no I/O, no clock (callers pass `today`).

Every public function takes the flow and a state and returns a `Transition` with
a new state, so callers can persist the state and the saved answer together.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from typing import Any

from flows.answer_checks import InvalidAnswer, Parsed, display, options, parse_answer
from flows.conditions import Condition
from flows.i18n import pick
from flows.messages import message
from flows.model import OTHER_CHOICE_ID, Flow, Question, QuestionType
from flows.outcome import decide_outcome, piped_answer, summarise
from flows.piping import fill
from flows.state import InterviewState, Pending
from flows.steps import AnswerRecord, Completed, Prompt, Step, Transition
from flows.values import clean_text, masked, parse_yes_no


def start(flow: Flow) -> InterviewState:
    """A fresh interview for `flow`."""
    return InterviewState(flow.id, str(flow.version), flow.fingerprint)


def applies(question: Question, state: InterviewState) -> bool:
    return question.condition is None or question.condition.evaluate(state.answers)


def live(flow: Flow, state: InterviewState) -> list[bool]:
    """Whether each question of the flow applies, in flow order: worked out once for a state
    whose answers stand, and handed to what would otherwise ask each question again (a step
    asked it ~80 times over 42 questions: the engine's main cost)."""
    seen: dict[str, bool] = {}
    return [_holds(condition, state.answers, seen) for condition in flow.conditions()]


def _holds(condition: Condition | None, answers: dict[str, Any], seen: dict[str, bool]) -> bool:
    """Whether a question with this condition applies, each distinct condition worked out
    once per `seen` (most questions of a flow's optional part share the part's condition)."""
    if condition is None:
        return True
    found = seen.get(condition.source)
    if found is None:
        found = seen[condition.source] = condition.evaluate(answers)
    return found


def current_question(flow: Flow, state: InterviewState,
                     applicable: list[bool] | None = None) -> Question | None:
    """The question waiting for input, or None when every applicable one is answered."""
    if state.pending is not None:
        return flow.question(state.pending.question_id)
    if state.editing is not None:
        return flow.question(state.editing)
    for index, question in enumerate(flow.questions):
        if question.id not in state.answers and (
                applies(question, state) if applicable is None else applicable[index]) and not (
                _known_and_clear(question, state)):
            return question
    return None


def arrive(flow: Flow, state: InterviewState) -> InterviewState:
    """On reaching a question whose answer the card already holds (`known: confirm`), show
    that answer to keep or change: the state, with it pending (in place)."""
    if state.pending is None and state.editing is None:
        _arrive_at(state, current_question(flow, state))
    return state


def _known_and_clear(question: Question, state: InterviewState) -> bool:
    """Not asked: the card holds its answer, and the question says to skip it then (or to
    refine it, and the answer is not vague)."""
    known = state.known.get(question.id)
    return known is not None and (question.known == "skip" or (
        question.known == "refine" and not known.get("vague")))


def _arrive_at(state: InterviewState, question: Question | None) -> None:
    if question is not None and question.id in state.known and (
            question.known == "confirm" or question.known == "refine"):
        known = state.known[question.id]
        state.pending = Pending(question.id, "known", known.get("value"), known.get("other"))


def place(flow: Flow, state: InterviewState) -> str:
    """Where the interview stands, as an input typed at it records it: the question and
    whether it asks for an answer, a confirmation or the text of 'Other' ("done" at the end)."""
    question = current_question(flow, state)
    if question is None:
        return "done"
    pending = state.pending
    mode = pending.kind if pending is not None and pending.kind in ("confirm", "other", "known") \
        else "answer"
    return f"{question.id}:{mode}"


def place_of(step: Step) -> str:
    """The place a shown step stands for (equal to `place` of the state it was made from)."""
    return "done" if isinstance(step, Completed) else f"{step.question_id}:{step.mode}"


def view(flow: Flow, state: InterviewState, lang: str, *, error: str | None = None,
         notice: str | None = None, applicable: list[bool] | None = None) -> Step:
    """The step to show for `state` (the current prompt, or the completion summary);
    `applicable`: `live` of this state, when the caller has it."""
    applicable = live(flow, state) if applicable is None else applicable
    question = current_question(flow, state, applicable)
    if question is None:
        return Completed(summarise(flow, state, lang), decide_outcome(flow, state))
    number, total, exact = _progress(flow, state, question, applicable)
    text = fill(pick(question.text, lang), lambda name: piped_answer(flow, state, name, lang))
    why = fill(pick(question.why, lang), lambda name: piped_answer(flow, state, name, lang)) or None
    mode, opts = "answer", options(question, lang)
    pending = state.pending
    selected: tuple[str, ...] = ()
    if pending is not None and pending.kind == "select":
        selected, pending = tuple(pending.value), None
    if pending is not None and pending.kind == "confirm":
        answer = display(question, pending.value, pending.other_text, lang)
        mode, text, why = "confirm", message("confirm", lang, question=text, answer=answer), None
        opts = [("yes", message("yes", lang)), ("no", message("no", lang))]
    elif pending is not None and pending.kind == "known":
        answer = display(question, pending.value, pending.other_text, lang)
        if flow.audience == "customer" and (question.maps_to or "").startswith("contact."):
            answer = masked(answer)  # whoever opened the link may not be that person
        mode, text = "known", message("known", lang, question=text, answer=answer)
        opts = [("keep", message("keep", lang)), ("change", message("change", lang))]
    elif pending is not None:
        mode, text, why, opts = "other", message("other_text", lang), None, []
    current = None
    if question.id in state.answers and pending is None:
        current = display(question, state.answers[question.id], state.other.get(question.id), lang)
    return Prompt(
        question_id=question.id, number=number, total=total, exact=exact,
        stage=question.stage, section=question.section, kind=question.type, text=text, why=why,
        options=opts, required=question.required,
        can_back=_previous(flow, state, question, applicable) is not None,
        mode=mode, current=current, error=error, notice=notice,
        min_label=pick(question.min_label, lang) or None,
        max_label=pick(question.max_label, lang) or None, selected=selected,
    )


def _progress(flow: Flow, state: InterviewState, question: Question,
              applicable: list[bool]) -> tuple[int, int, bool]:
    """The question's number among those asked, how many are asked in all, and whether that
    count is exact. Not counted: questions the card answers (`known: skip`), and those of an
    optional part not opened. Counted while undecided (their condition waits on a question
    not answered yet), so the count is then an upper bound that only shrinks."""
    closed = {q.opens for q in flow.questions
              if q.opens is not None and state.answers.get(q.id) != "yes"}
    position = flow.index_of(question.id)
    number = total = undecided = 0
    for index, q in enumerate(flow.questions):
        if applicable[index]:
            if not _known_and_clear(q, state):
                total += 1
                number += index < position
        elif (q.condition is not None and q.id not in state.answers and q.part not in closed
              and any(name not in state.answers for name in q.condition.names)):
            undecided += 1
    return number + 1, max(total + undecided, number + 1), undecided == 0


def submit(flow: Flow, state: InterviewState, raw: str, lang: str, today: date) -> Transition:
    """Take one typed answer (or a button's option id)."""
    question = current_question(flow, state)
    if question is None:
        return Transition(state, view(flow, state, lang))
    pending = state.pending
    if pending is not None and pending.kind == "select":
        pending = None  # typing an answer replaces the ticked options
    if pending is not None and pending.kind == "other":
        text = clean_text(raw)
        if not text:
            return Transition(state, view(flow, state, lang, error=message("empty", lang)))
        return _accept(flow, state, question, Parsed(pending.value, other_text=text), raw, lang)
    if pending is not None and pending.kind == "known":  # keep what the card says, or not
        verdict = _keep_or_change(raw)
        if verdict == "keep":
            return _commit(flow, state, question, Parsed(pending.value, pending.other_text),
                           None, lang, source="kept")
        new = _copy(state)
        new.pending = None
        new.known.pop(question.id, None)
        if verdict == "change":
            return Transition(new, view(flow, new, lang))
        state, pending = new, None  # a new value typed straight away: taken as the answer
    if pending is not None:  # confirming
        verdict = parse_yes_no(raw) or {"1": "yes", "2": "no"}.get(clean_text(raw))
        if verdict == "yes":
            return _commit(flow, state, question, Parsed(pending.value, pending.other_text),
                           pending.raw, lang)
        if verdict == "no":
            new = _copy(state)
            new.pending = None
            return Transition(new, view(flow, new, lang))
    try:
        parsed = parse_answer(question, raw, lang, today)
    except InvalidAnswer as exc:
        error = str(exc)
        if pending is not None:
            error = message("confirm_invalid", lang)
        return Transition(state, view(flow, state, lang, error=error))
    return _accept(flow, state, question, parsed, raw, lang)


def toggle(flow: Flow, state: InterviewState, option_id: str, lang: str) -> Transition:
    """Tick or untick one option of the current multi-choice question."""
    question = current_question(flow, state)
    if question is None or question.type != QuestionType.MULTI_CHOICE or not is_option(
            question, option_id):
        return Transition(state, view(flow, state, lang))
    pending = state.pending
    ticked = list(pending.value) if pending is not None and pending.kind == "select" else []
    ticked = [i for i in ticked if i != option_id] if option_id in ticked else [*ticked, option_id]
    order = [i for i, _ in options(question, lang)]
    new = _copy(state)
    new.pending = Pending(question.id, "select", [i for i in order if i in ticked])
    return Transition(new, view(flow, new, lang))


def finish_selection(flow: Flow, state: InterviewState, lang: str) -> Transition:
    """Take the ticked options of a multi-choice question as its answer."""
    question = current_question(flow, state)
    pending = state.pending
    if question is None or pending is None or pending.kind != "select" or not pending.value:
        return Transition(state, view(flow, state, lang, error=message("pick_one", lang)))
    needs_other = question.other and OTHER_CHOICE_ID in pending.value
    parsed = Parsed(list(pending.value), needs_other_text=needs_other)
    return _accept(flow, state, question, parsed, None, lang)


def _accept(flow: Flow, state: InterviewState, question: Question, parsed: Parsed,
            raw: str | None, lang: str) -> Transition:
    new = _copy(state)
    if parsed.needs_other_text:
        new.pending = Pending(question.id, "other", parsed.value, raw=raw)
        return Transition(new, view(flow, new, lang))
    if question.confirm and (state.pending is None or state.pending.kind != "confirm"):
        new.pending = Pending(question.id, "confirm", parsed.value, parsed.other_text, raw)
        return Transition(new, view(flow, new, lang))
    return _commit(flow, state, question, parsed, raw, lang)


_KEEP = {"1", "keep", "yes", "y", "ok", "保持", "保持不变", "不变", "是", "对", "没错", "正确"}
_CHANGE = {"2", "change", "no", "n", "修改", "改", "更改", "否", "不对", "不是"}


def _keep_or_change(raw: str) -> str | None:
    """The answer to "is that still right?": by number, a word, or the button's label."""
    text = clean_text(raw).casefold().rstrip("。.!！")
    labels = {lang: (message("keep", lang).casefold(), message("change", lang).casefold())
              for lang in ("zh", "en")}
    if text in _KEEP or text in {keep for keep, _ in labels.values()}:
        return "keep"
    if text in _CHANGE or text in {change for _, change in labels.values()}:
        return "change"
    return None


def _commit(flow: Flow, state: InterviewState, question: Question, parsed: Parsed,
            raw: str | None, lang: str, source: str = "typed") -> Transition:
    new = _copy(state)
    new.answers[question.id] = parsed.value
    new.other.pop(question.id, None)
    if parsed.other_text:
        new.other[question.id] = parsed.other_text
    new.pending = new.editing = None
    dropped = prune(flow, new)
    applicable = live(flow, new)  # the answers stand from here on
    following = current_question(flow, new, applicable)
    new.done = following is None
    _arrive_at(new, following)  # pending and editing were just cleared
    record = AnswerRecord(question.id, parsed.value, parsed.other_text, raw, source)
    return Transition(new, view(flow, new, lang, applicable=applicable), record, dropped,
                      completed=new.done)


def prune(flow: Flow, state: InterviewState) -> tuple[str, ...]:
    """Drop answers whose question no longer applies (in place); return their ids."""
    dropped: list[str] = []
    seen: dict[str, bool] = {}
    for question in flow.questions:
        if question.id in state.answers and not _holds(question.condition, state.answers, seen):
            del state.answers[question.id]
            state.other.pop(question.id, None)
            dropped.append(question.id)
            seen.clear()  # the answers changed: what a condition said may not hold
    return tuple(dropped)


def skip(flow: Flow, state: InterviewState, lang: str) -> Transition:
    """Leave an optional question unanswered."""
    question = current_question(flow, state)
    if question is None:
        return Transition(state, view(flow, state, lang))
    if question.required:
        return Transition(state, view(flow, state, lang, error=message("cannot_skip", lang)))
    return _commit(flow, state, question, Parsed(None), None, lang)


def _previous(flow: Flow, state: InterviewState, question: Question | None,
              applicable: list[bool]) -> Question | None:
    """The answered question before `question`, the current one (`applicable`: `live` of
    the state)."""
    end = flow.index_of(question.id) if question is not None else len(flow.questions)
    for index in range(end - 1, -1, -1):
        earlier = flow.questions[index]
        if earlier.id in state.answers and applicable[index]:
            return earlier
    return None


def back(flow: Flow, state: InterviewState, lang: str) -> Transition:
    """Go to the previous answered question to change its answer (nothing is deleted yet)."""
    new = _copy(state)
    if new.pending is not None:
        new.pending = None
        return Transition(new, view(flow, new, lang))
    applicable = live(flow, state)
    target = _previous(flow, state, current_question(flow, state, applicable), applicable)
    if target is None or state.done:
        return Transition(state, view(flow, state, lang, error=message("cannot_back", lang)))
    new.editing = target.id
    return Transition(new, view(flow, new, lang))


def _copy(state: InterviewState) -> InterviewState:
    """A copy the step may change without touching `state` (answers hold plain JSON)."""
    return replace(state, answers={k: list(v) if isinstance(v, list) else v
                                   for k, v in state.answers.items()},
                   other=dict(state.other), known=dict(state.known),
                   pending=None if state.pending is None else replace(
                       state.pending, value=copy.deepcopy(state.pending.value)))


def correctable(flow: Flow, state: InterviewState) -> list[str]:
    """The answers a respondent may correct after finishing, in flow order: those given (not
    skipped) to questions no other question depends on (a `when` or an opened part: a change
    there would change which questions apply)."""
    deciding = {name for q in flow.questions if q.condition is not None
                for name in q.condition.names}
    return [q.id for q in flow.questions if state.answers.get(q.id) is not None
            and q.id not in deciding and applies(q, state)]


def correct(flow: Flow, state: InterviewState, question_id: str, raw: str, lang: str,
            today: date) -> Transition:
    """A finished interview with one answer changed (its record has source "revised").
    Raises InvalidAnswer, saying why, for an answer the question would not take."""
    question = flow.question(question_id)
    parsed = parse_answer(question, raw, lang, today)
    if parsed.needs_other_text:
        raise InvalidAnswer(message("other_inline", lang))
    new = _copy(state)
    new.answers[question.id] = parsed.value
    new.other.pop(question.id, None)
    if parsed.other_text:
        new.other[question.id] = parsed.other_text
    record = AnswerRecord(question.id, parsed.value, parsed.other_text, raw, "revised")
    return Transition(new, view(flow, new, lang), record)


def is_option(question: Question, option_id: str) -> bool:
    """Whether a button's option id belongs to the question (buttons are untrusted input)."""
    return option_id in {i for i, _ in options(question, "en")}
