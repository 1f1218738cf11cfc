"""Checks that need the whole flow: ids, references, translations, options, mappings, rules."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from flows.card_fields import (
    CARD_FIELDS,
    CARD_RANGES,
    CLOSED_VALUES,
    DATE_WORDS,
    RULE_SETTABLE,
)
from flows.conditions import ConditionError, parse_condition
from flows.errors import ErrorCode, FlowError
from flows.model import CHOICE_TYPES, NUMERIC_TYPES, OTHER_CHOICE_ID, Flow, Question
from flows.model import QuestionType as T
from flows.piping import PlaceholderError, placeholders
from flows.reachability import check_condition
from flows.seed_banks import BANK_000
from flows.values import date_bound
from flows.yaml_source import Path, YamlDocument

_I18N_FIELDS = ("text", "why", "pattern_error", "min_label", "max_label")


class FlowChecker:
    """Collects every problem of one flow; `errors` is filled by `run()`."""

    def __init__(
        self, flow: Flow, doc: YamlDocument, base: Path, languages: list[str],
        question_rows: list[int] | None = None, rule_rows: list[int] | None = None,
        broken_ids: set[str] | None = None,
    ) -> None:
        """`*_rows` map model positions back to positions in the file when broken items
        were left out; references to `broken_ids` are not reported again."""
        self.flow, self.doc, self.base, self.languages = flow, doc, base, languages
        self.question_rows = question_rows or list(range(len(flow.questions)))
        self.rule_rows = rule_rows or list(range(len(flow.on_complete)))
        self.broken_ids = broken_ids or set()
        self.errors: list[FlowError] = []
        self.warnings: list[FlowError] = []  # the flow loads; some answers will be refused

    def add(self, code: ErrorCode, path: Path, problem: str, expected: str) -> None:
        found = FlowError(code, self.doc.locate((*self.base, *path)), problem, expected)
        (self.warnings if code.value.startswith("W") else self.errors).append(found)

    def run(self) -> list[FlowError]:
        flow = self.flow
        if not flow.questions and not self.broken_ids:
            self.add(ErrorCode.EMPTY_FLOW, ("questions",), f"flow `{flow.id}` has no questions",
                     "at least one question")
        for key in ("title", "description"):
            self._translations(getattr(flow, key), (key,))
        self.openers = self._parts()
        seen: dict[str, int] = {}
        for index, question in enumerate(flow.questions):
            path: Path = ("questions", self.question_rows[index])
            if question.id in seen:
                self.add(ErrorCode.DUPLICATE_ID, (*path, "id"),
                         f"question id `{question.id}` is used twice in flow `{flow.id}`",
                         "a unique id per question within a flow")
            seen.setdefault(question.id, index)
            for key in _I18N_FIELDS:
                self._translations(getattr(question, key), (*path, key))
            for c_index, choice in enumerate(question.choices or []):
                self._translations(choice.label, (*path, "choices", c_index, "label"))
            self._options(question, path)
            self._mapping(question, path)
            self._seed(question, path)
            self._condition(question, index, path)
            self._placeholders(question, index, path)
        for r_index, _rule in enumerate(flow.on_complete):
            self._rule(r_index)
        return self.errors

    def _translations(self, text: Any, path: Path) -> None:
        if not isinstance(text, dict):
            return
        missing = [lang for lang in self.languages if not str(text.get(lang, "")).strip()]
        extra = [lang for lang in text if lang not in self.languages]
        if missing:
            self.add(ErrorCode.MISSING_TRANSLATION, path,
                     f"no {', '.join(missing)} text", f"a text for each of {self.languages}")
        if extra:
            self.add(ErrorCode.MISSING_TRANSLATION, (*path, extra[0]),
                     f"language `{extra[0]}` is not declared in this file",
                     f"languages from {self.languages} (or add it to `languages:`)")

    def _options(self, q: Question, path: Path) -> None:
        def wrong(key: str, expected: str) -> None:
            self.add(ErrorCode.OPTION_MISMATCH, (*path, key),
                     f"`{key}` does not fit a {q.type.value} question", expected)

        if q.type in CHOICE_TYPES:
            ids = [c.id for c in q.choices or []]
            if len(ids) + int(q.other) < 2:
                self.add(ErrorCode.OPTION_MISMATCH, (*path, "choices") if q.choices else path,
                         f"a {q.type.value} question needs options", "at least two choices")
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                self.add(ErrorCode.DUPLICATE_ID, (*path, "choices"),
                         f"choice id `{dup}` is used twice", "unique choice ids")
            if q.other and OTHER_CHOICE_ID in ids:
                self.add(ErrorCode.DUPLICATE_ID, (*path, "choices"),
                         "choice id `other` clashes with `other: true`",
                         "either `other: true` or a choice with id other")
        else:
            for key in ("choices", "other"):
                if getattr(q, key):
                    wrong(key, "choices only on choice and multi_choice questions")
        if q.type not in NUMERIC_TYPES and q.type != T.DATE:
            for key in ("min", "max"):
                if getattr(q, key) is not None:
                    wrong(key, "min/max only on number, integer, scale and date questions")
        self._bounds(q, path)
        if q.type != T.TEXT:
            for key in ("min_length", "max_length", "pattern"):
                if getattr(q, key) is not None:
                    wrong(key, f"`{key}` only on text questions")
        if q.pattern is not None:
            try:
                re.compile(q.pattern)
            except re.error as exc:
                self.add(ErrorCode.BAD_VALUE, (*path, "pattern"),
                         f"the pattern is not a valid regular expression ({exc})",
                         "a Python regular expression")
        if q.pattern_error is not None and q.pattern is None:
            wrong("pattern_error", "pattern_error together with pattern")
        if q.type != T.SCALE:
            for key in ("min_label", "max_label"):
                if getattr(q, key) is not None:
                    wrong(key, "min_label/max_label only on scale questions")

    def _bounds(self, q: Question, path: Path) -> None:
        if q.type == T.DATE:
            for key in ("min", "max"):
                try:
                    date_bound(getattr(q, key), date(2000, 1, 1))
                except (ValueError, TypeError):
                    self.add(ErrorCode.BAD_VALUE, (*path, key),
                             f"`{getattr(q, key)}` is not a date bound",
                             "a date such as 2026-01-31, or today, today+30d, today-1d")
            return
        for key in ("min", "max"):
            if isinstance(getattr(q, key), str):
                self.add(ErrorCode.WRONG_TYPE, (*path, key), f"`{key}` must be a number here",
                         "a number")
        low, high = q.min, q.max
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            self.add(ErrorCode.BAD_VALUE, (*path, "min"), f"min {low} is above max {high}",
                     "min ≤ max")
        if q.type == T.SCALE:
            bounds = [v for v in (low, high) if v is not None]
            if any(isinstance(v, float) and not v.is_integer() for v in bounds):
                self.add(ErrorCode.BAD_VALUE, (*path, "min"), "scale bounds must be whole",
                         "whole numbers such as 1 and 5")
            lo, hi = int(low if isinstance(low, int | float) else 1), int(
                high if isinstance(high, int | float) else 5)
            if hi - lo > 10:
                self.add(ErrorCode.BAD_VALUE, (*path, "max"),
                         f"a scale of {hi - lo + 1} points is too long for buttons",
                         "at most 11 points, such as 0 to 10")
        if q.min_length and q.max_length and q.min_length > q.max_length:
            self.add(ErrorCode.BAD_VALUE, (*path, "min_length"), "min_length is above max_length",
                     "min_length ≤ max_length")

    def _seed(self, q: Question, path: Path) -> None:
        for index, item in enumerate(q.seed):
            known = BANK_000.get(item)
            if known is None:
                close = difflib.get_close_matches(item, list(BANK_000), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                self.add(ErrorCode.UNKNOWN_REFERENCE, (*path, "seed", index),
                         f"`{item}` is not an item of the seed question bank{hint}",
                         "an id from flows/seed_banks.py, such as decision.2")
            elif known.stage != q.stage.value:
                self.add(ErrorCode.BAD_VALUE, (*path, "seed", index),
                         f"seed item `{item}` ({known.gist}) is a {known.stage} question, "
                         f"and this question is on stage {q.stage.value}",
                         f"`stage: {known.stage}`, or another seed item")

    def _mapping(self, q: Question, path: Path) -> None:
        if q.maps_to is None:
            if q.known != "ask":
                self.add(ErrorCode.OPTION_MISMATCH, (*path, "known"),
                         f"`known: {q.known}` needs a `maps_to` field to know the answer from",
                         "a `maps_to`, or no `known`")
            return
        accepted = CARD_FIELDS.get(q.maps_to)
        if accepted is None:
            close = difflib.get_close_matches(q.maps_to, list(CARD_FIELDS), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            self.add(ErrorCode.BAD_MAPPING, (*path, "maps_to"),
                     f"`{q.maps_to}` is not a field of the information card{hint}",
                     "one of " + ", ".join(CARD_FIELDS))
            return
        if q.type not in accepted:
            self.add(ErrorCode.BAD_MAPPING, (*path, "maps_to"),
                     f"`{q.maps_to}` cannot hold a {q.type.value} answer",
                     "a question of type " + " or ".join(sorted(t.value for t in accepted)))
        if q.maps_to in CARD_RANGES and q.type in (T.INTEGER, T.NUMBER):
            low, high = CARD_RANGES[q.maps_to]
            given_low = q.min if isinstance(q.min, int | float) else None
            given_high = q.max if isinstance(q.max, int | float) else None
            if given_low is None or given_low < low or given_high is None or given_high > high:
                where = (*path, "max") if given_high is not None else (*path, "maps_to")
                allows = (f"{'…' if given_low is None else f'{given_low:,}'} to "
                          f"{'…' if given_high is None else f'{given_high:,}'}")
                self.add(ErrorCode.FIELD_RANGE, where,
                         f"`{q.maps_to}` holds {low:,} to {high:,}, and this question allows "
                         f"{allows}: answers outside the field's range will be asked again",
                         f"`min: {low}` and `max: {high}`, or a narrower range")
        closed = CLOSED_VALUES.get(q.maps_to)
        if closed and q.choices:
            bad = [c.id for c in q.choices if c.id not in closed]
            if bad or q.other:
                self.add(ErrorCode.BAD_MAPPING, (*path, "choices"),
                         f"choices {bad or ['other']} cannot be stored in `{q.maps_to}`",
                         "choice ids from " + ", ".join(sorted(closed)))

    def _earlier(self, index: int) -> dict[str, Question]:
        return {q.id: q for q in self.flow.questions[:index]}

    def _reference(self, name: str, index: int, path: Path, what: str) -> Question | None:
        earlier = self._earlier(index)
        if name in earlier:
            return earlier[name]
        if name in self.broken_ids:
            return None  # that question has its own error already
        later = {q.id for q in self.flow.questions[index:]}
        if name in later:
            self.add(ErrorCode.FORWARD_REFERENCE, path,
                     f"{what} names `{name}`, which is asked at the same time or later",
                     "a question asked earlier in the flow")
        else:
            close = difflib.get_close_matches(name, list(earlier), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            self.add(ErrorCode.UNKNOWN_REFERENCE, path,
                     f"{what} names `{name}`, which is not a question of this flow{hint}",
                     "the id of an earlier question")
        return None

    def _parts(self) -> dict[str, str]:
        """Each optional part's opener (a yes_no question before all of the part's
        questions), by part name; every misuse reported."""
        openers: dict[str, str] = {}
        for index, q in enumerate(self.flow.questions):
            path: Path = ("questions", self.question_rows[index])
            if q.opens is None:
                continue
            if q.type != T.YES_NO:
                self.add(ErrorCode.BAD_PART, (*path, "opens"),
                         f"`opens` is on a {q.type.value} question",
                         "`opens` only on a yes_no question (a yes opens the part)")
                openers.setdefault(q.opens, q.id)  # its part's questions: not reported again
            elif q.opens in openers:
                self.add(ErrorCode.BAD_PART, (*path, "opens"),
                         f"part `{q.opens}` is opened by `{openers[q.opens]}` already",
                         "one question that opens each part")
            elif q.part == q.opens:
                self.add(ErrorCode.BAD_PART, (*path, "opens"),
                         f"`{q.id}` opens part `{q.opens}`, which it belongs to itself",
                         "the opening question outside the part it opens")
            else:
                openers[q.opens] = q.id
        opened_at = {part: self.flow.index_of(i) for part, i in openers.items()}
        members = {q.part for q in self.flow.questions if q.part is not None}
        for index, q in enumerate(self.flow.questions):
            path = ("questions", self.question_rows[index])
            if q.part is None:
                continue
            if q.part not in openers:
                self.add(ErrorCode.BAD_PART, (*path, "part"),
                         f"no question opens part `{q.part}`",
                         f"a yes_no question before it with `opens: {q.part}`")
            elif index < opened_at[q.part]:
                self.add(ErrorCode.BAD_PART, (*path, "part"),
                         f"`{q.id}` comes before `{openers[q.part]}`, which opens its part",
                         "the questions of a part after the question that opens it")
        for part, opener in openers.items():
            if part not in members:
                index = self.flow.index_of(opener)
                self.add(ErrorCode.BAD_PART, ("questions", self.question_rows[index], "opens"),
                         f"part `{part}` has no questions",
                         f"questions with `part: {part}` after `{opener}`")
        return openers

    def _condition(self, q: Question, index: int, path: Path) -> None:
        opener = self.openers.get(q.part) if q.part is not None else None
        if q.when is None and opener is None:
            return
        compiled = None if q.when is None else self._compile(q.when, (*path, "when"), index)
        if opener is not None and (q.when is None or compiled is not None):
            # a question of an optional part is asked only after a yes to its opener
            source = f'{opener} == "yes"' + ("" if q.when is None else f" and ({q.when})")
            compiled = parse_condition(source)
        if compiled is not None:
            q._condition = compiled

    def _compile(self, source: str, path: Path, index: int) -> Any:
        try:
            condition = parse_condition(source)
        except ConditionError as exc:
            self.add(ErrorCode.BAD_CONDITION, path,
                     f"{exc.problem} (at character {exc.column + 1} of `{source}`)", exc.expected)
            return None
        refs = {n: self._reference(n, index, path, "the condition") for n in condition.names}
        if any(r is None for r in refs.values()):
            return None
        known = {n: r for n, r in refs.items() if r is not None}
        for code, problem, expected in check_condition(condition, known):
            self.add(code, path, problem, expected)
        return condition

    def _placeholders(self, q: Question, index: int, path: Path) -> None:
        for key in ("text", "why"):
            for lang_path, text in _texts(getattr(q, key), (*path, key)):
                try:
                    found = placeholders(text)
                except PlaceholderError as exc:
                    self.add(ErrorCode.BAD_PLACEHOLDER, lang_path,
                             f"{exc.problem} in the text", "`{question_id}`, or `{{` for a brace")
                    continue
                for ph in found:
                    ref = self._reference(ph.name, index, lang_path, f"`{{{ph.name}}}`")
                    if ref is None or ph.fallback is not None:
                        continue
                    guarded = q.condition is not None and ph.name in q.condition.names
                    # asked under the same condition as a required question: always answered
                    guarded |= ref.required and ref.when is not None and ref.when == q.when
                    if (not ref.required or ref.when) and not guarded:
                        self.add(ErrorCode.PLACEHOLDER_MAY_BE_EMPTY, lang_path,
                                 f"`{{{ph.name}}}` may have no answer here",
                                 f"a fallback such as `{{{ph.name}|…}}`, or a `when` that "
                                 f"checks `{ph.name}`")

    def _rule(self, r_index: int) -> None:
        rule = self.flow.on_complete[r_index]
        path: Path = ("on_complete", self.rule_rows[r_index])
        if rule.if_ is not None:
            compiled = self._compile(rule.if_, (*path, "if"), len(self.flow.questions))
            if compiled is not None:
                rule._condition = compiled
        for key, value in rule.set.items():
            if key not in RULE_SETTABLE:
                self.add(ErrorCode.BAD_RULE, (*path, "set", key), f"a rule cannot set `{key}`",
                         "one of " + ", ".join(sorted(RULE_SETTABLE)))
            elif key in CLOSED_VALUES and value not in CLOSED_VALUES[key]:
                self.add(ErrorCode.BAD_RULE, (*path, "set", key),
                         f"`{value}` is not a value of `{key}`",
                         "one of " + ", ".join(sorted(CLOSED_VALUES[key])))
            elif T.DATE in CARD_FIELDS.get(key, ()) and value not in DATE_WORDS:
                self.add(ErrorCode.BAD_RULE, (*path, "set", key),
                         f"`{value}` is not a date a rule can set",
                         "one of " + ", ".join(sorted(DATE_WORDS)))
        follow = rule.follow_up
        if follow is not None:
            if (follow.after is None) == (follow.on is None):
                self.add(ErrorCode.BAD_RULE, (*path, "follow_up"),
                         "a follow-up needs exactly one of `after` and `on`",
                         "`after: 3d` or `on: next_contact_date`")
            if follow.on is not None:
                ref = self._reference(follow.on, len(self.flow.questions),
                                      (*path, "follow_up", "on"), "the follow-up")
                if ref is not None and ref.type != T.DATE:
                    self.add(ErrorCode.BAD_RULE, (*path, "follow_up", "on"),
                             f"`{follow.on}` is a {ref.type.value} question",
                             "the id of a date question")
            self._translations(follow.note, (*path, "follow_up", "note"))
        if not (rule.tags or rule.set or rule.follow_up):
            self.add(ErrorCode.BAD_RULE, path, "the rule does nothing",
                     "at least one of tags, set, follow_up")


def _texts(text: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(text, str):
        yield path, text
    elif isinstance(text, dict):
        for lang, value in text.items():
            yield (*path, lang), value
