"""A broken flow file gets every problem at once, each with a code and file:line:column."""

from __future__ import annotations

import pytest

from flows.errors import ErrorCode, FlowLoadError
from flows.loader import load_paths, load_text
from tests.flows.yaml_snippets import flow_yaml

SIZE = """\
- id: size
  stage: background
  type: integer
  text: {zh: 多少人, en: How many people}
"""


def errors_of(text: str) -> list[tuple[ErrorCode, str]]:
    with pytest.raises(FlowLoadError) as caught:
        load_text(text, "demo.yaml")
    return [(e.code, str(e.location)) for e in caught.value.errors]


def test_every_problem_is_reported_in_one_run_with_its_location() -> None:
    text = flow_yaml(SIZE + """\
- id: vendor
  stage: pain_pont
  type: text
  text: {zh: 供应商, en: Vendor}
- id: opinion
  stage: implication
  type: text
  tpye: text
  text: {zh: 看法, en: Opinion}
- id: later
  stage: implication
  type: text
  text: {zh: "你觉得{nobody}", en: "What about {nobody}"}
  when: size > "many"
""")
    found = errors_of(text)
    assert (ErrorCode.BAD_VALUE, "demo.yaml:13:16") in found  # the value of stage: pain_pont
    assert (ErrorCode.UNKNOWN_KEY, "demo.yaml:19:9") in found  # tpye
    assert any(code == ErrorCode.UNKNOWN_REFERENCE for code, _ in found)  # {nobody}
    assert any(code == ErrorCode.CONDITION_TYPE for code, _ in found)  # size > "many"
    assert len(found) >= 5


def test_unknown_key_suggests_the_likely_spelling() -> None:
    text = flow_yaml(SIZE.replace("type: integer", "tpye: integer"))
    with pytest.raises(FlowLoadError) as caught:
        load_text(text, "demo.yaml")
    messages = [str(e) for e in caught.value.errors]
    assert any("unknown key `tpye` (did you mean `type`?)" in m for m in messages)
    assert any("`type` is missing" in m for m in messages)


@pytest.mark.parametrize(("questions", "code"), [
    (SIZE + SIZE, ErrorCode.DUPLICATE_ID),
    (SIZE.replace("type: integer", "type: integr"), ErrorCode.BAD_VALUE),
    (SIZE.replace("{zh: 多少人, en: How many people}", "{zh: 多少人}"),
     ErrorCode.MISSING_TRANSLATION),
    (SIZE.replace("{zh: 多少人, en: How many people}", "{zh: 多少人, en: Size, fr: Taille}"),
     ErrorCode.MISSING_TRANSLATION),
    (SIZE + "  when: later == 1\n- id: later\n  stage: background\n  type: integer\n"
     "  text: x\n", ErrorCode.FORWARD_REFERENCE),
    (SIZE + "  when: size > 1\n", ErrorCode.FORWARD_REFERENCE),
    (SIZE + "- id: q2\n  stage: background\n  type: text\n  text: x\n  when: size >\n",
     ErrorCode.BAD_CONDITION),
    (SIZE + "- id: q2\n  stage: background\n  type: text\n  text: x\n"
     "  when: __import__('os').system('true')\n", ErrorCode.BAD_CONDITION),
    (SIZE + "- id: q2\n  stage: background\n  type: text\n  text: x\n"
     "  when: size > 1 and size < 1\n",
     ErrorCode.NEVER_TRUE),
    (SIZE + "  min: 1\n  max: 10\n- id: q2\n  stage: background\n  type: text\n  text: x\n"
     "  when: size > 50\n", ErrorCode.NEVER_TRUE),
    (SIZE + "- id: q2\n  stage: background\n  type: text\n  text: 'Hi {size'\n",
     ErrorCode.BAD_PLACEHOLDER),
    (SIZE.replace("integer", "text") + "  required: false\n- id: q2\n  stage: background\n"
     "  type: text\n  text: 'About {size}'\n", ErrorCode.PLACEHOLDER_MAY_BE_EMPTY),
    (SIZE + "  choices: [{id: a, label: A}, {id: b, label: B}]\n", ErrorCode.OPTION_MISMATCH),
    (SIZE.replace("integer", "choice") + "  choices: [{id: a, label: A}]\n",
     ErrorCode.OPTION_MISMATCH),
    (SIZE + "  maps_to: customer.employes\n", ErrorCode.BAD_MAPPING),
    (SIZE + "  maps_to: contact.email\n", ErrorCode.BAD_MAPPING),
    (SIZE.replace("integer", "text") + "  pattern: '[a-'\n", ErrorCode.BAD_VALUE),
    (SIZE.replace("integer", "scale") + "  min: 0\n  max: 20\n", ErrorCode.BAD_VALUE),
])
def test_each_kind_of_mistake_has_its_code(questions: str, code: ErrorCode) -> None:
    assert code in [c for c, _ in errors_of(flow_yaml(questions))]


def test_a_choice_compared_with_an_unknown_option_can_never_be_true() -> None:
    questions = """\
- id: budget_known
  stage: need_payoff
  type: yes_no
  text: x
- id: budget
  stage: need_payoff
  type: integer
  text: y
  when: budget_known == "maybe"
"""
    with pytest.raises(FlowLoadError) as caught:
        load_text(flow_yaml(questions), "demo.yaml")
    (error,) = caught.value.errors
    assert error.code == ErrorCode.NEVER_TRUE
    assert "'maybe' is not an option of `budget_known`" in error.problem
    assert "'yes', 'no'" in error.expected


@pytest.mark.parametrize(("rules", "code"), [
    ("- if: size > 10\n  set: {customer.priority: urgent}\n", ErrorCode.BAD_RULE),
    ("- if: size > 10\n  set: {customer.name: x}\n", ErrorCode.BAD_RULE),
    ("- if: size > 10\n", ErrorCode.BAD_RULE),
    ("- follow_up: {after: 3d, on: size}\n", ErrorCode.BAD_RULE),
    ("- follow_up: {on: size}\n", ErrorCode.BAD_RULE),
    ("- follow_up: {after: 3 days}\n", ErrorCode.BAD_VALUE),
    ("- if: sise > 10\n  tags: [a]\n", ErrorCode.UNKNOWN_REFERENCE),
])
def test_rule_mistakes(rules: str, code: ErrorCode) -> None:
    assert code in [c for c, _ in errors_of(flow_yaml(SIZE, rules))]


def test_yaml_syntax_error_has_a_position() -> None:
    assert errors_of("flows:\n  - id: [unclosed\n") == [
        (ErrorCode.YAML_SYNTAX, "demo.yaml:3:1")]


def test_a_control_character_is_pointed_at_and_named() -> None:
    """A bell pasted into a Chinese question text: its line and column, and which one."""
    with pytest.raises(FlowLoadError) as caught:
        load_text(flow_yaml(SIZE.replace("多少人", "多少\x07人")), "demo.yaml")
    (error,) = caught.value.errors
    lines = flow_yaml(SIZE).splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "多少人" in text)
    column = lines[line - 1].index("人") + 1
    assert (error.code, str(error.location)) == (ErrorCode.YAML_SYNTAX,
                                                 f"demo.yaml:{line}:{column}")
    assert "U+0007" in str(error)


def test_an_empty_flow_is_an_error() -> None:
    text = flow_yaml("").replace("    questions:\n", "    questions: []\n")
    assert ErrorCode.EMPTY_FLOW in [c for c, _ in errors_of(text)]


def test_yes_and_no_stay_words_not_booleans() -> None:
    (flow,) = load_text(flow_yaml("""\
- id: pick
  stage: background
  type: choice
  text: x
  choices: [{id: yes, label: Y}, {id: no, label: N}]
"""))
    assert [c.id for c in flow.questions[0].choices or []] == ["yes", "no"]


def test_flow_ids_must_be_unique_across_files(tmp_path: pytest.TempPathFactory) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(flow_yaml(SIZE), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(FlowLoadError) as caught:
        load_paths([tmp_path])
    assert [e.code for e in caught.value.errors] == [ErrorCode.DUPLICATE_ID]
    assert "a.yaml" in caught.value.errors[0].problem


def test_shipped_flows_load_and_cover_every_spin_stage(shipped_flows: dict) -> None:
    assert {"pre_meeting", "post_call", "revisit", "clean_up", "verify"} <= set(shipped_flows)
    for flow in (shipped_flows[f] for f in ("pre_meeting", "post_call", "revisit")):
        stages = {q.stage.value for q in flow.questions}
        assert stages == {"background", "pain_point", "implication", "need_payoff"}, flow.id
        assert any(q.when for q in flow.questions), f"{flow.id} has no branching"
        assert any("{" in str(q.text) for q in flow.questions), f"{flow.id} has no piping"


def test_a_number_its_card_field_cannot_hold_is_a_coded_warning() -> None:
    """Issue 17 (3): `type: integer` into customer.employees with no max loads, with a W501
    warning at the question's position; the answers themselves are then bounded."""
    flow = load_text(flow_yaml(SIZE + "  maps_to: customer.employees\n"), "demo.yaml")[0]
    (warning,) = flow._warnings
    assert warning.code == ErrorCode.FIELD_RANGE and str(warning.location) == "demo.yaml:12:18"
    assert "`customer.employees` holds 0 to 10,000,000" in warning.problem
    bounded = load_text(flow_yaml(SIZE + "  maps_to: customer.employees\n  min: 1\n"
                                  "  max: 100000\n"), "demo.yaml")[0]
    assert bounded._warnings == ()
