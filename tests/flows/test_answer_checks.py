"""What respondents type, and what the engine makes of it."""

from __future__ import annotations

from datetime import date

import pytest

from flows.answer_checks import InvalidAnswer, parse_answer
from tests.flows.yaml_snippets import load_flow

TODAY = date(2026, 11, 23)
FLOW = load_flow("""\
- id: employees
  stage: background
  type: integer
  min: 1
  max: 1000000
  text: x
- id: budget
  stage: need_payoff
  type: number
  text: x
- id: industry
  stage: background
  type: choice
  other: true
  text: x
  choices:
    - {id: retail, label: {zh: 零售, en: Retail}}
    - {id: finance, label: {zh: 金融, en: Finance}}
- id: pains
  stage: pain_point
  type: multi_choice
  text: x
  choices:
    - {id: price, label: {zh: 价格, en: Price}}
    - {id: speed, label: {zh: 速度, en: Speed}}
    - {id: quality, label: {zh: 质量, en: Quality}}
- id: agree
  stage: need_payoff
  type: yes_no
  text: x
- id: when
  stage: need_payoff
  type: date
  min: today
  text: x
- id: phone
  stage: background
  type: phone
  text: x
- id: email
  stage: background
  type: email
  text: x
- id: happy
  stage: background
  type: scale
  text: x
- id: code
  stage: background
  type: text
  max_length: 18
  pattern: '[0-9A-Z]{18}'
  pattern_error: {zh: 统一社会信用代码是 18 位, en: A credit code has 18 characters}
  text: x
""")


def parse(question_id: str, raw: str, lang: str = "en") -> object:
    return parse_answer(FLOW.question(question_id), raw, lang, TODAY).value


def refusal(question_id: str, raw: str, lang: str = "en") -> str:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(FLOW.question(question_id), raw, lang, TODAY)
    return str(caught.value)


@pytest.mark.parametrize(("raw", "value"), [
    ("250", 250), ("1,200", 1200), ("１２０", 120), ("约 300 人", 300), ("3万", 30000),
    ("2k", 2000),
])
def test_integers_in_the_forms_people_type(raw: str, value: int) -> None:
    assert parse("employees", raw) == value


@pytest.mark.parametrize("raw", ["lots", "12.5", "0", "2000000"])
def test_bad_integer_says_what_is_expected(raw: str) -> None:
    assert refusal("employees", raw) == "Please enter a whole number between 1 and 1,000,000."
    assert refusal("employees", raw, "zh") == "请输入 1 到 1,000,000 之间的整数。"


def test_a_range_asks_for_one_number() -> None:
    assert refusal("employees", "100-200").startswith("Please give one number")


@pytest.mark.parametrize(("raw", "value"), [("50万", 500000), ("¥1.5万", 15000), ("3.5", 3.5)])
def test_numbers_with_chinese_units(raw: str, value: float) -> None:
    assert parse("budget", raw) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("retail", "retail"), ("Retail", "retail"), ("零售", "retail"), ("2", "finance"),
    ("其他：外贸", "other"), ("Other: trade", "other"), ("wholesale", "other"),
])
def test_choice_by_id_label_number_or_other(raw: str, value: str) -> None:
    assert parse("industry", raw) == value


def test_free_text_becomes_other_with_its_text() -> None:
    parsed = parse_answer(FLOW.question("industry"), "wholesale", "en", TODAY)
    assert (parsed.value, parsed.other_text) == ("other", "wholesale")


def test_a_number_out_of_range_is_not_taken_as_other() -> None:
    assert "is not one of the options" in refusal("industry", "9")


@pytest.mark.parametrize(("raw", "value"), [
    ("1,3", ["price", "quality"]), ("3 1", ["price", "quality"]),
    ("价格、速度", ["price", "speed"]),
    ("Quality，price", ["price", "quality"]),
])
def test_multi_choice(raw: str, value: list[str]) -> None:
    assert parse("pains", raw) == value


def test_multi_choice_names_the_option_it_could_not_match() -> None:
    assert refusal("pains", "1, cost") == (
        "“cost” is not one of the options. Reply with one or more option numbers (1–3) "
        "separated by commas, such as 1,3.")


@pytest.mark.parametrize(("raw", "value"), [
    ("yes", "yes"), ("Y", "yes"), ("是的", "yes"), ("1", "yes"), ("没有", "no"), ("2", "no"),
])
def test_yes_no(raw: str, value: str) -> None:
    assert parse("agree", raw) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("2026-12-01", "2026-12-01"), ("2026/12/1", "2026-12-01"), ("2026年12月1日", "2026-12-01"),
    ("12月25日", "2026-12-25"), ("明天", "2026-11-24"), ("in 3 days", "2026-11-26"),
    ("3天后", "2026-11-26"), ("下周", "2026-11-30"),
])
def test_dates(raw: str, value: str) -> None:
    assert parse("when", raw) == value


def test_a_date_before_the_bound_is_refused() -> None:
    assert refusal("when", "2026-01-01") == "Please enter a date on or after 2026-11-23."
    assert refusal("when", "soon").startswith("Please enter a date such as")
    assert refusal("when", "2026-02-30").startswith("Please enter a date such as")


@pytest.mark.parametrize(("raw", "value"), [
    ("138 0013 8000", "+8613800138000"), ("010-1234 5678", "+861012345678"),
    ("+44 20 7946 0000", "+442079460000"), ("0044 20 7946 0000", "+442079460000"),
])
def test_phones_are_stored_in_international_form(raw: str, value: str) -> None:
    assert parse("phone", raw) == value


def test_bad_phone_explains_the_accepted_forms() -> None:
    assert "11-digit mobile" in refusal("phone", "12345")


def test_email_keeps_local_part_and_lowercases_domain() -> None:
    assert parse("email", "Li.Wei@Example.COM") == "Li.Wei@example.com"
    assert refusal("email", "li.wei@") == "Please enter an email address such as name@example.com."


def test_scale_refusal_mentions_the_range() -> None:
    assert parse("happy", "４") == 4
    assert refusal("happy", "6") == "Please choose a number from 1 to 5 (1 = 1, 5 = 5)."


def test_pattern_error_is_the_authors_text_in_the_respondents_language() -> None:
    assert refusal("code", "123", "zh") == "统一社会信用代码是 18 位"
    assert parse("code", "91310000MA1FL4XQ3B") == "91310000MA1FL4XQ3B"


def test_text_too_long_says_by_how_much() -> None:
    assert refusal("code", "X" * 30) == (
        "That is too long: please keep it to 18 characters (you wrote 30).")


def test_control_characters_are_removed_but_text_is_kept() -> None:
    question = load_flow("- {id: t, stage: background, type: text, text: x}").question("t")
    value = parse_answer(question, "  <b>Acme</b> & Co\x07 😀 \n", "en", TODAY).value
    assert value == "<b>Acme</b> & Co 😀"


def test_a_plain_choice_with_id_other_does_not_ask_for_free_text() -> None:
    question = load_flow("""\
- id: role
  stage: background
  type: choice
  text: x
  choices: [{id: boss, label: Boss}, {id: other, label: Another role}]
""").question("role")
    parsed = parse_answer(question, "2", "en", TODAY)
    assert (parsed.value, parsed.needs_other_text) == ("other", False)


# issue 14: answers read as generously as the README promises
@pytest.mark.parametrize(("raw", "value"), [
    ("10小时", 10), ("10h", 10), ("约10个小时", 10), ("10 hours", 10), ("300人左右", 300),
    ("大概 1,200 人", 1200), ("差不多50个", 50)])
def test_numbers_with_units_of_time_and_count(raw: str, value: int) -> None:
    assert parse_answer(FLOW.question("employees"), raw, "zh", TODAY).value == value


def test_a_list_of_numbers_is_not_read_as_one() -> None:
    with pytest.raises(InvalidAnswer, match="一个数字"):
        parse_answer(FLOW.question("employees"), "1,2,3", "zh", TODAY)


@pytest.mark.parametrize(("raw", "value"), [  # TODAY is a Monday
    ("下周三", "2026-12-02"), ("周三", "2026-11-25"), ("星期一", "2026-11-23"),
    ("这周五", "2026-11-27"), ("next wednesday", "2026-12-02"), ("friday", "2026-11-27"),
    ("下下周一", "2026-12-07")])
def test_weekdays_as_people_say_them(raw: str, value: str) -> None:
    assert parse_answer(FLOW.question("when"), raw, "en", TODAY).value == value


def test_a_label_is_matched_by_its_beginning_when_only_one_option_fits() -> None:
    flow = load_flow("""\
- id: industry
  stage: background
  type: choice
  other: true
  text: x
  choices:
    - {id: manufacturing, label: {zh: 制造业, en: Manufacturing}}
    - {id: retail, label: {zh: 零售与消费品, en: Retail and consumer goods}}
    - {id: finance, label: {zh: 金融, en: Finance}}
    - {id: fintech, label: {zh: 金融科技, en: Fintech}}
""")
    question = flow.question("industry")
    assert parse_answer(question, "零售", "zh", TODAY).value == "retail"
    assert parse_answer(question, "制造", "zh", TODAY).value == "manufacturing"
    assert parse_answer(question, "manuf", "en", TODAY).value == "manufacturing"
    assert parse_answer(question, "金融", "zh", TODAY).value == "finance"  # exact wins
    assert parse_answer(question, "fin", "en", TODAY).other_text == "fin"  # two fit: Other
