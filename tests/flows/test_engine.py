"""The interview state machine, step by step."""

from __future__ import annotations

import itertools
from datetime import date

from flows import engine
from flows.resume import FlowMismatch, resume
from flows.state import InterviewState
from flows.steps import Completed, Prompt, Transition
from tests.flows.yaml_snippets import load_flow

TODAY = date(2026, 11, 23)
FLOW = load_flow("""\
- id: employees
  stage: background
  type: integer
  min: 1
  max: 1000000
  text: {zh: 多少人, en: How many people}
- id: vendors
  stage: background
  type: yes_no
  text: {zh: 有其他供应商吗, en: Other vendors}
- id: competitor
  stage: background
  type: text
  when: vendors == "yes"
  text: {zh: 哪一家, en: Which one}
- id: opinion
  stage: implication
  type: text
  required: false
  when: vendors == "yes"
  text: {zh: "你觉得{competitor}怎么样", en: "What do you think of {competitor}"}
- id: budget
  stage: need_payoff
  type: number
  confirm: true
  text: {zh: 预算, en: Budget}
- id: notes
  stage: need_payoff
  type: text
  required: false
  text: {zh: 备注, en: Notes}
""", """\
- if: employees > 100
  tags: [size:large]
  set: {customer.priority: high}
  follow_up: {after: 3d}
""")


def run(*inputs: str, state: InterviewState | None = None) -> Transition:
    current = state or engine.start(FLOW)
    result = Transition(current, engine.view(FLOW, current, "en"))
    for raw in inputs:
        if raw == "/back":
            result = engine.back(FLOW, current, "en")
        elif raw == "/skip":
            result = engine.skip(FLOW, current, "en")
        else:
            result = engine.submit(FLOW, current, raw, "en", TODAY)
        current = result.state
    return result


def prompt(result: Transition) -> Prompt:
    assert isinstance(result.step, Prompt), result.step
    return result.step


def test_invalid_answer_is_asked_again_with_a_specific_message_and_nothing_saved() -> None:
    result = run("many")
    step = prompt(result)
    assert step.question_id == "employees"
    assert step.error == "Please enter a whole number between 1 and 1,000,000."
    assert result.saved is None and result.state.answers == {}


def test_branching_skips_questions_whose_condition_is_false() -> None:
    step = prompt(run("250", "no"))
    assert step.question_id == "budget"
    assert (step.number, step.total) == (3, 4)


def test_piping_shows_the_earlier_answer_in_the_question() -> None:
    step = prompt(run("250", "yes", "Oracle"))
    assert step.text == "What do you think of Oracle"


def test_key_fact_is_repeated_back_and_only_saved_when_confirmed() -> None:
    asked = run("250", "no", "50万")
    step = prompt(asked)
    assert step.mode == "confirm" and "You said: 500,000" in step.text
    assert "budget" not in asked.state.answers
    confirmed = run("yes", state=asked.state)
    assert confirmed.saved is not None and confirmed.saved.value == 500000
    assert confirmed.saved.raw == "50万"
    redo = run("no", state=asked.state)
    assert prompt(redo).question_id == "budget" and prompt(redo).mode == "answer"


def test_skip_only_for_optional_questions() -> None:
    refused = run("/skip")
    assert prompt(refused).error == "This question is required and cannot be skipped."
    skipped = run("250", "no", "1", "yes", "/skip")
    assert isinstance(skipped.step, Completed)
    assert skipped.state.answers["notes"] is None


def test_back_then_same_answer_gives_the_same_state() -> None:
    before = run("250", "yes", "Oracle")
    again = run("/back", "Oracle", state=before.state)
    assert again.state == before.state


def test_back_shows_the_current_answer_and_keeps_later_ones_until_changed() -> None:
    before = run("250", "yes", "Oracle", "fine")
    back = run("/back", "/back", state=before.state)
    assert prompt(back).question_id == "competitor"
    assert prompt(back).current == "Oracle"
    assert back.state.answers["opinion"] == "fine"


def test_changing_an_answer_drops_later_answers_that_no_longer_apply() -> None:
    before = run("250", "yes", "Oracle", "fine")
    changed = run("/back", "/back", "/back", "no", state=before.state)
    assert changed.dropped == ("competitor", "opinion")
    assert prompt(changed).question_id == "budget"
    assert set(changed.state.answers) == {"employees", "vendors"}


def test_back_at_the_first_question_says_so() -> None:
    assert prompt(run("/back")).error == "This is the first question already."


def test_completion_has_a_summary_and_the_rules_outcome() -> None:
    done = run("250", "yes", "SAP", "/skip", "1000", "yes", "call in spring")
    assert done.completed and isinstance(done.step, Completed)
    lines = {line.question_id: line.answer for line in done.step.summary}
    # a customer's copy: what they said, not the question they skipped
    assert lines == {"employees": "250", "vendors": "Yes", "competitor": "SAP",
                     "budget": "1,000", "notes": "call in spring"}
    rep_flow = FLOW.model_copy(update={"audience": "rep"})
    rep_lines = engine.view(rep_flow, done.state, "en")
    assert isinstance(rep_lines, Completed)  # a rep's summary says what is missing
    assert {line.question_id: line.answer for line in rep_lines.summary}["opinion"] == \
        "(skipped)"
    assert done.step.outcome.tags == ("size:large",)
    assert done.step.outcome.set == {"customer.priority": "high"}
    assert done.step.outcome.follow_ups[0].after == "3d"


def test_the_respondent_language_is_used_for_questions_and_errors() -> None:
    state = engine.start(FLOW)
    step = engine.submit(FLOW, state, "很多", "zh", TODAY).step
    assert isinstance(step, Prompt)
    assert (step.text, step.error) == ("多少人", "请输入 1 到 1,000,000 之间的整数。")


def test_state_survives_json() -> None:
    state = run("250", "yes", "Oracle", "/back").state
    assert InterviewState.from_json(state.to_json()) == state


def test_an_edited_flow_keeps_answers_that_still_fit() -> None:
    state = run("250", "yes", "Oracle").state
    edited = load_flow("""\
- id: employees
  stage: background
  type: integer
  min: 1
  max: 100
  text: How many
- id: vendors
  stage: background
  type: yes_no
  text: Other vendors
- id: competitor
  stage: background
  type: text
  text: Which one
""")
    resumed, dropped = resume(edited, state)
    assert dropped == ("employees",)  # 250 is now out of bounds
    assert resumed.answers == {"vendors": "yes", "competitor": "Oracle"}
    assert prompt(Transition(resumed, engine.view(edited, resumed, "en"))).question_id == (
        "employees")


def test_a_state_of_another_flow_fails_clearly() -> None:
    other = InterviewState("post_call", "1", "abc")
    try:
        resume(FLOW, other)
    except FlowMismatch as exc:
        assert "post_call" in str(exc)
    else:
        raise AssertionError("resume accepted another flow's state")


def test_the_progress_total_never_grows_as_answers_come() -> None:
    """Issue 14: the counter read "[4/11]" then "[5/16]": questions whose condition waited
    on a later answer were left out of the total, then added."""
    from flows.loader import default_flow_dir, load_paths

    flow = load_paths([default_flow_dir()])["post_call"]
    state = engine.start(flow)
    totals = []
    for raw in ["1", "张三", "1", "1,2,3,4", "工厂 300 人", "需要更快报价", "每周多花 10 小时",
                "老板很重视", "1", "1", "yes", "/skip", "1", "2", "/skip", "下周三", "yes"]:
        step = engine.view(flow, state, "zh")
        if not isinstance(step, Prompt):
            break
        totals.append(step.total)
        if raw == "/skip":
            move = engine.skip(flow, state, "zh")
        else:
            move = engine.submit(flow, state, raw, "zh", TODAY)
        state = move.state
    assert len(totals) > 8
    assert all(later <= earlier for earlier, later in itertools.pairwise(totals))


KNOWN = load_flow("""\
- id: staff
  stage: background
  type: integer
  maps_to: customer.employees
  known: confirm
  text: {zh: 多少人, en: How many people}
- id: site
  stage: background
  type: text
  maps_to: customer.address
  known: skip
  text: {zh: 地址, en: Address}
- id: pain
  stage: pain_point
  type: text
  text: {zh: 难点, en: Problems}
""")


def test_a_known_fact_is_shown_to_keep_or_change_and_a_skip_one_is_not_asked() -> None:
    """Issue 14: a second questionnaire asked the head count again though the card had it."""
    state = engine.start(KNOWN)
    state.known = {"staff": {"value": 250, "other": None},
                   "site": {"value": "上海", "other": None}}
    engine.arrive(KNOWN, state)
    step = engine.view(KNOWN, state, "en")
    assert isinstance(step, Prompt) and step.mode == "known"
    assert step.text == "How many people\nWe have: 250. Is that still right?"
    assert [label for _, label in step.options] == ["Keep it", "Change it"]
    kept = engine.submit(KNOWN, state, "1", "en", TODAY)
    assert kept.saved is not None and (kept.saved.value, kept.saved.source) == (250, "kept")
    assert isinstance(kept.step, Prompt) and kept.step.question_id == "pain"  # site: skipped
    change = engine.submit(KNOWN, state, "Change it", "en", TODAY)
    assert isinstance(change.step, Prompt) and change.step.mode == "answer"
    assert change.step.question_id == "staff" and change.saved is None
    typed = engine.submit(KNOWN, state, "300", "en", TODAY)  # a new value straight away
    assert typed.saved is not None and (typed.saved.value, typed.saved.source) == (300, "typed")


def test_known_needs_a_card_field() -> None:
    from flows.errors import FlowLoadError

    try:
        load_flow("- id: x\n  stage: background\n  type: text\n  known: skip\n  text: x\n")
    except FlowLoadError as exc:
        assert "`known: skip` needs a `maps_to` field" in str(exc)
    else:
        raise AssertionError("a `known` without `maps_to` loaded")
