"""The shipped pre-meeting questionnaire is short for the customer: at most 12 questions of
an empty card with nothing optional skipped; the whole bank only for a customer who chooses
to say more; fewer when the card already knows facts. And the optional part, as the flow
language expresses it (`opens` / `part`), with the count shown being the real one."""

from __future__ import annotations

from datetime import date

import pytest

from flows import engine
from flows.errors import ErrorCode
from flows.model import Flow, QuestionType
from flows.state import InterviewState
from flows.steps import Completed, Prompt
from tests.flows.yaml_snippets import flow_errors, load_flow
from tests.scripts import shipped

TODAY = date(2026, 12, 1)
TYPED = {QuestionType.TEXT: "说来话长 a long story", QuestionType.INTEGER: "40",
         QuestionType.NUMBER: "40", QuestionType.PHONE: "13800138000",
         QuestionType.EMAIL: "li@example.cn", QuestionType.DATE: "2027-01-15",
         QuestionType.CHOICE: "1", QuestionType.MULTI_CHOICE: "1,2", QuestionType.SCALE: "3",
         QuestionType.YES_NO: "yes"}
BY_ID = {"credit_code": "91310000MA1FL8XQ30", "website": "https://example.cn"}


def walk(flow: Flow, say_more: str, state: InterviewState | None = None,
         ) -> tuple[list[str], list[Prompt]]:
    """Answer every question (optional ones too, never /skip): the ids asked, in order,
    and each prompt as shown."""
    state = state or engine.start(flow)
    engine.arrive(flow, state)
    asked: list[str] = []
    shown: list[Prompt] = []
    step = engine.view(flow, state, "zh")
    while isinstance(step, Prompt):
        shown.append(step)
        if step.mode == "answer":
            asked.append(step.question_id)
        raw = "yes" if step.mode in ("confirm", "known") else (
            say_more if step.question_id == "say_more" else
            BY_ID.get(step.question_id, TYPED[step.kind]))
        moved = engine.submit(flow, state, raw, "zh", TODAY)
        assert moved.state != state, f"{step.question_id}: {raw!r} refused ({moved.step})"
        state, step = moved.state, moved.step
    assert isinstance(step, Completed)
    return asked, shown


def test_an_empty_card_is_asked_at_most_12_questions() -> None:
    flow = shipped()["pre_meeting"]
    asked, shown = walk(flow, say_more="no")
    assert len(asked) <= 12, asked
    assert asked[-1] == "say_more"  # the offer to say more comes last
    # what only the customer can tell: problems, what they cost, a good outcome, when, who
    for wanted in ("current_problems", "cost_impact", "ideal_outcome", "timeline",
                   "approval_process"):
        assert wanted in asked
    # the count shown is the real one from the first question on (a read-back to confirm
    # keeps its question's number)
    assert [(p.number, p.total, p.exact) for p in shown if p.mode == "answer"] == [
        (n, len(asked), True) for n in range(1, len(asked) + 1)]


def test_the_second_part_asks_the_whole_bank() -> None:
    flow = shipped()["pre_meeting"]
    short, _ = walk(flow, say_more="no")
    asked, shown = walk(flow, say_more="yes")
    in_part = [q.id for q in flow.questions if q.part == "more"]
    assert len(in_part) >= 30
    assert asked[:len(short)] == short
    # every question of the bank that applies to these answers (the competitor's and the
    # budget's branches follow the answers given), nothing asked twice
    assert len(asked) == len(set(asked)) and len(asked) > 40
    missing = {q.id for q in flow.questions} - set(asked)
    assert all(flow.question(m).when for m in missing), missing
    # past the opt-in, while questions still depend on answers, the count says "at most";
    # it only shrinks, and is exact by the end
    answering = [p for p in shown if p.mode == "answer"]
    later = answering[len(short)]
    assert later.question_id == in_part[0] and not later.exact and later.total > len(asked)
    totals = [p.total for p in answering[len(short):]]
    assert totals == sorted(totals, reverse=True)
    assert (answering[-1].total, answering[-1].exact) == (len(asked), True)
    assert engine.view(flow, engine.start(flow), "zh").total == len(short)


def test_a_card_that_knows_the_company_asks_fewer() -> None:
    flow = shipped()["pre_meeting"]
    empty, _ = walk(flow, say_more="no")
    state = engine.start(flow)
    state.known = {"industry": {"value": "manufacturing", "other": None},
                   "employees": {"value": 250, "other": None},
                   "contact_name": {"value": "李伟", "other": None}}
    asked, shown = walk(flow, say_more="no", state=state)
    assert "industry" not in asked and "employees" not in asked
    assert len(asked) == len(empty) - 2 - 1  # the name is shown to keep, not asked
    assert shown[0].mode == "known" and shown[0].total == len(empty) - 2


PART = """\
- id: size
  stage: background
  type: integer
  text: {zh: 多少人, en: How many people}
- id: more
  stage: need_payoff
  type: yes_no
  opens: extra
  text: {zh: 多说一些吗, en: Tell us more}
- id: vendors
  stage: background
  type: yes_no
  part: extra
  text: {zh: 有其他供应商吗, en: Other vendors}
- id: which
  stage: background
  type: text
  part: extra
  when: vendors == "yes"
  text: {zh: 哪一家, en: Which one}
"""


def test_a_part_is_asked_only_after_a_yes_and_dropped_on_a_no() -> None:
    flow = load_flow(PART)
    state = engine.start(flow)
    for raw in ("12", "yes"):
        state = engine.submit(flow, state, raw, "en", TODAY).state
    step = engine.view(flow, state, "en")
    assert isinstance(step, Prompt) and step.question_id == "vendors"
    assert (step.number, step.total, step.exact) == (3, 4, False)  # "which" waits on vendors
    state = engine.submit(flow, state, "yes", "en", TODAY).state
    # changing the opt-in to no takes the part's answers away
    state = engine.back(flow, state, "en").state
    state = engine.back(flow, state, "en").state
    moved = engine.submit(flow, state, "no", "en", TODAY)
    assert moved.completed and moved.dropped == ("vendors",)


@pytest.mark.parametrize(("change", "problem"), [
    (("  type: yes_no\n  opens: extra", "  type: text\n  opens: extra"),
     "`opens` is on a text question"),
    (("  part: extra\n  text: {zh: 有其他", "  part: other\n  text: {zh: 有其他"),
     "no question opens part `other`"),
])
def test_a_misused_part_is_reported(change: tuple[str, str], problem: str) -> None:
    errors = flow_errors(PART.replace(*change))
    assert [e.code for e in errors] == [ErrorCode.BAD_PART]
    assert problem in errors[0].problem


def test_a_part_before_its_opener_and_an_empty_part_are_reported() -> None:
    moved = PART.replace("- id: more\n", "- id: more_first\n  stage: background\n  type: text\n"
                         "  part: extra\n  text: {zh: 早, en: Early}\n- id: more\n")
    assert any("comes before `more`" in e.problem for e in flow_errors(moved))
    empty = PART.replace("  part: extra\n", "")
    assert [e.problem for e in flow_errors(empty)] == ["part `extra` has no questions"]
