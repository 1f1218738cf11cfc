"""Validating and normalising one answer to one question, and showing it back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flows.card_fields import CARD_RANGES
from flows.i18n import pick
from flows.messages import message
from flows.model import OTHER_CHOICE_ID, Choice, Question, QuestionType
from flows.values import (
    NotANumber,
    clean_text,
    date_bound,
    fold,
    format_number,
    number_value,
    parse_date,
    parse_email,
    parse_number,
    parse_phone,
    parse_yes_no,
)

DEFAULT_MAX_LENGTH = 2000
MAX_OTHERS = 5  # things named under "Other" in one multiple-choice answer
DEFAULT_SCALE = (1, 5)
_SPLIT = re.compile(r"\s*[,，、;；\n]\s*")


class InvalidAnswer(ValueError):
    """The answer cannot be accepted; `str(exc)` says why, in the respondent's language."""


@dataclass(frozen=True, slots=True)
class Parsed:
    value: Any  # JSON-serialisable normalised value
    other_text: str | None = None
    needs_other_text: bool = False


def options(question: Question, lang: str) -> list[tuple[str, str]]:
    """(id, label) for every option the respondent can pick, in display order."""
    if question.type == QuestionType.YES_NO:
        return [("yes", message("yes", lang)), ("no", message("no", lang))]
    if question.type == QuestionType.SCALE:
        low, high = scale_bounds(question)
        return [(str(i), str(i)) for i in range(low, high + 1)]
    found = [(c.id, pick(c.label, lang)) for c in question.choices or []]
    if question.other:
        found.append((OTHER_CHOICE_ID, message("other_label", lang)))
    return found


def scale_bounds(question: Question) -> tuple[int, int]:
    low = int(question.min) if isinstance(question.min, int | float) else DEFAULT_SCALE[0]
    high = int(question.max) if isinstance(question.max, int | float) else DEFAULT_SCALE[1]
    return low, high


def parse_answer(question: Question, raw: str, lang: str, today: date) -> Parsed:
    text = clean_text(raw)
    if not text:
        raise InvalidAnswer(message("empty" if question.required else "empty_optional", lang))
    kind = question.type
    if kind != QuestionType.TEXT and len(text) > DEFAULT_MAX_LENGTH:  # an "Other", a list
        raise InvalidAnswer(message("too_long", lang, max=f"{DEFAULT_MAX_LENGTH:,}",
                                    got=f"{len(text):,}"))
    if kind == QuestionType.TEXT:
        return Parsed(_text(question, text, lang))
    if kind in (QuestionType.NUMBER, QuestionType.INTEGER):
        return Parsed(_number(question, text, lang))
    if kind in (QuestionType.CHOICE, QuestionType.YES_NO, QuestionType.SCALE):
        return _single_choice(question, text, lang)
    if kind == QuestionType.MULTI_CHOICE:
        return _multi_choice(question, text, lang)
    if kind == QuestionType.DATE:
        return Parsed(_date(question, text, lang, today))
    if kind == QuestionType.PHONE:
        phone = parse_phone(text)
        if phone is None:
            raise InvalidAnswer(message("phone", lang))
        return Parsed(phone)
    email = parse_email(text)
    if email is None:
        raise InvalidAnswer(message("email", lang))
    return Parsed(email)


def _text(question: Question, text: str, lang: str) -> str:
    limit = question.max_length or DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise InvalidAnswer(message("too_long", lang, max=f"{limit:,}", got=f"{len(text):,}"))
    if question.min_length and len(text) < question.min_length:
        raise InvalidAnswer(message("too_short", lang, min=question.min_length, got=len(text)))
    if question.pattern and not re.fullmatch(question.pattern, text):
        raise InvalidAnswer(pick(question.pattern_error, lang) or message("pattern", lang))
    return text


def _number(question: Question, text: str, lang: str) -> int | float:
    whole = question.type == QuestionType.INTEGER
    try:
        value = parse_number(text)
    except NotANumber as exc:
        lead = "one_number" if exc.is_range else None
        raise InvalidAnswer(_number_hint(question, lang, lead)) from None
    if whole and value != value.to_integral_value():
        raise InvalidAnswer(_number_hint(question, lang))
    low, high = number_bounds(question)
    if (low is not None and value < Decimal(str(low))) or (
        high is not None and value > Decimal(str(high))
    ):
        raise InvalidAnswer(_number_hint(question, lang))
    return number_value(value)


def number_bounds(question: Question) -> tuple[int | float | None, int | float | None]:
    """The question's min and max, narrowed to what its card field can hold."""
    low = question.min if isinstance(question.min, int | float) else None
    high = question.max if isinstance(question.max, int | float) else None
    if question.maps_to in CARD_RANGES:
        floor, ceiling = CARD_RANGES[question.maps_to]
        low = floor if low is None else max(low, floor)
        high = ceiling if high is None else min(high, ceiling)
    return low, high


def _number_hint(question: Question, lang: str, lead: str | None = None) -> str:
    kind = message("kind_integer" if question.type == QuestionType.INTEGER else "kind_number", lang)
    bottom, top = number_bounds(question)
    low = format_number(bottom) if bottom is not None else None
    high = format_number(top) if top is not None else None
    if low is not None and high is not None:
        hint = message("number_range", lang, kind=kind, min=low, max=high)
    elif low is not None:
        hint = message("number_min", lang, kind=kind, min=low)
    elif high is not None:
        hint = message("number_max", lang, kind=kind, max=high)
    else:
        hint = message("integer" if question.type == QuestionType.INTEGER else "number", lang)
    return f"{message(lead, lang)} {hint}" if lead else hint


def _match_option(question: Question, token: str, lang: str) -> str | None:
    """An option id for `token` given as id, label (any language) or 1-based number."""
    opts = options(question, lang)
    folded = fold(token)
    if question.type == QuestionType.SCALE:
        return folded if folded in {i for i, _ in opts} else None
    if folded.isdecimal():
        index = int(folded) - 1
        return opts[index][0] if 0 <= index < len(opts) else None
    if question.type == QuestionType.YES_NO:
        return parse_yes_no(token)
    for option_id, label in opts:
        if folded in (fold(option_id), fold(label)):
            return option_id
    for choice in question.choices or []:
        if any(folded == fold(label) for label in _all_labels(choice)):
            return choice.id
    if question.other and folded in {fold(message("other_label", x)) for x in ("zh", "en")}:
        return OTHER_CHOICE_ID
    return _by_prefix(question, folded)


def _by_prefix(question: Question, folded: str) -> str | None:
    """The one option whose label (any language) starts with what was typed: 零售 for
    零售与消费品, 制造 for 制造业, "logist" for Logistics. Two or more such options, or
    fewer than two characters typed (three in Latin letters), match nothing."""
    if len(folded) < (3 if folded.isascii() else 2):
        return None
    found = {choice.id for choice in question.choices or []
             if any(fold(label).startswith(folded) for label in _all_labels(choice))}
    return found.pop() if len(found) == 1 else None


def _all_labels(choice: Choice) -> list[str]:
    return [choice.label] if isinstance(choice.label, str) else list(choice.label.values())


_OTHER_PREFIX = re.compile(r"^(?:其他|其它|other)\s*[:：]\s*(.+)$", re.IGNORECASE | re.DOTALL)


def _single_choice(question: Question, text: str, lang: str) -> Parsed:
    if question.other and (m := _OTHER_PREFIX.match(text)):
        return Parsed(OTHER_CHOICE_ID, other_text=m.group(1).strip())
    found = _match_option(question, text, lang)
    if found == OTHER_CHOICE_ID and question.other:
        return Parsed(OTHER_CHOICE_ID, needs_other_text=True)
    if found is not None:
        return Parsed(int(found) if question.type == QuestionType.SCALE else found)
    if question.other and not fold(text).isdecimal():
        return Parsed(OTHER_CHOICE_ID, other_text=text)
    raise InvalidAnswer(_choice_hint(question, text, lang))


def _multi_choice(question: Question, text: str, lang: str) -> Parsed:
    tokens = [t for t in _SPLIT.split(text) if t]
    if len(tokens) == 1 and re.fullmatch(r"[\d\s]+", fold(text)):
        tokens = fold(text).split()
    picked: set[str] = set()
    unmatched: list[str] = []
    for token in tokens:
        found = _match_option(question, token, lang)
        (picked.add(found) if found else unmatched.append(token))
    if unmatched and not question.other:
        raise InvalidAnswer(_choice_hint(question, unmatched[0], lang))
    if unmatched and any(fold(t).isdecimal() for t in unmatched):
        raise InvalidAnswer(_choice_hint(question, unmatched[0], lang))
    if len(unmatched) > MAX_OTHERS:  # a list of made-up options, not an "Other"
        raise InvalidAnswer(message("too_many_others", lang, max=MAX_OTHERS,
                                    got=len(unmatched)))
    other_text = "、".join(unmatched) if unmatched else None
    if other_text:
        picked.add(OTHER_CHOICE_ID)
    order = [i for i, _ in options(question, lang)]
    value = [i for i in order if i in picked]
    needs_other = question.other and OTHER_CHOICE_ID in picked and other_text is None
    return Parsed(value, other_text=other_text, needs_other_text=needs_other)


def _choice_hint(question: Question, got: str, lang: str) -> str:
    if question.type == QuestionType.YES_NO:
        return message("yes_no", lang)
    if question.type == QuestionType.SCALE:
        low, high = scale_bounds(question)
        return message("scale", lang, min=low, max=high,
                       min_label=pick(question.min_label, lang) or low,
                       max_label=pick(question.max_label, lang) or high)
    key = "multi_choice" if question.type == QuestionType.MULTI_CHOICE else "choice"
    return message(key, lang, got=got[:40], n=len(options(question, lang)))


def _date(question: Question, text: str, lang: str, today: date) -> str:
    value = parse_date(text, today)
    if value is None:
        raise InvalidAnswer(message("date", lang))
    low = date_bound(question.min, today)
    high = date_bound(question.max, today)
    if (low and value < low) or (high and value > high):
        if low and high:
            raise InvalidAnswer(message("date_range", lang, min=low, max=high))
        raise InvalidAnswer(message("date_min", lang, min=low) if low
                            else message("date_max", lang, max=high))
    return value.isoformat()


def display(question: Question, value: Any, other_text: str | None, lang: str,
            piped: bool = False) -> str:
    """An answer as the respondent would read it back (`piped`: inside another question,
    where "Other: SAP" reads better as just "SAP")."""
    if value is None:
        return message("skipped", lang)
    if question.type in (QuestionType.CHOICE, QuestionType.YES_NO, QuestionType.MULTI_CHOICE):
        labels = dict(options(question, lang))
        ids = value if isinstance(value, list) else [value]
        colon = "：" if lang == "zh" else ": "
        shown = [
            (other_text if piped else f"{labels.get(i, i)}{colon}{other_text}")
            if i == OTHER_CHOICE_ID and other_text else labels.get(i, str(i))
            for i in ids
        ]
        return ("、" if lang == "zh" else ", ").join(shown)
    if question.type in (QuestionType.NUMBER, QuestionType.INTEGER):
        return format_number(value)
    return str(value)
