"""Load-time checks of a condition against the questions it names.

Type checks catch `employees > "many"` and `size == "hueg"` (not a choice id).
The reachability check tries every combination of representative answers to the
named questions (each option, boundary values around the literals, and "no
answer" where that can happen); if none makes the condition true, the question or
rule behind it can never be reached.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from flows.answer_checks import options, scale_bounds
from flows.conditions import Comparison, Condition
from flows.errors import ErrorCode
from flows.model import CHOICE_TYPES, NUMERIC_TYPES, OTHER_CHOICE_ID, Question
from flows.model import QuestionType as T

MAX_COMBINATIONS = 20_000
Problem = tuple[ErrorCode, str, str]


def check_condition(condition: Condition, known: dict[str, Question]) -> list[Problem]:
    problems = [p for c in condition.comparisons() if (p := _check_types(c, known[c.name]))]
    if problems:
        return problems
    if not _satisfiable(condition, known):
        return [(ErrorCode.NEVER_TRUE, f"`{condition.source}` can never be true",
                 "a condition that some answers make true")]
    return []


def _ids(question: Question) -> list[str]:
    return [option_id for option_id, _ in options(question, "en")]


def _check_types(c: Comparison, q: Question) -> Problem | None:
    values = c.constant if isinstance(c.constant, tuple) else (c.constant,)
    values = tuple(v for v in values if v is not None)
    if c.op in ("contains", "not contains") and q.type != T.MULTI_CHOICE:
        return None if q.type == T.TEXT else (
            ErrorCode.CONDITION_TYPE, f"`... in {c.name}` needs a multi_choice or text question",
            f"a comparison such as `{c.name} == …`")
    if q.type in CHOICE_TYPES or q.type == T.YES_NO:
        if q.type == T.MULTI_CHOICE and c.op in ("==", "!=", "<", ">", "<=", ">="):
            return (ErrorCode.CONDITION_TYPE,
                    f"`{c.name}` holds several options; compare with `in`",
                    f'`"option" in {c.name}`')
        ids = _ids(q)
        bad = [v for v in values if v not in ids]
        if bad:
            return (ErrorCode.NEVER_TRUE, f"{bad[0]!r} is not an option of `{c.name}`",
                    "one of " + ", ".join(repr(i) for i in ids))
        return None
    if q.type in NUMERIC_TYPES:
        if any(isinstance(v, str | bool) for v in values):
            return (ErrorCode.CONDITION_TYPE, f"`{c.name}` is a number but is compared with text",
                    f"a number, such as `{c.name} > 100`")
        return None
    if any(not isinstance(v, str) for v in values):
        return (ErrorCode.CONDITION_TYPE,
                f"`{c.name}` is a {q.type.value} answer but is compared with a number",
                "a quoted text" + (' such as "2026-06-30"' if q.type == T.DATE else ""))
    if q.type == T.DATE:
        for v in values:
            try:
                date.fromisoformat(str(v))
            except ValueError:
                return (ErrorCode.CONDITION_TYPE, f"{v!r} is not a date",
                        'a date such as "2026-06-30"')
    return None


def _candidates(q: Question, literals: list[Any]) -> list[Any]:
    found: list[Any]
    if q.type == T.MULTI_CHOICE:
        ids = _ids(q)
        found = [[], *([i] for i in ids), ids]
    elif q.type in CHOICE_TYPES or q.type == T.YES_NO:
        found = list(_ids(q))
    elif q.type == T.SCALE:
        low, high = scale_bounds(q)
        found = list(range(low, high + 1))
    elif q.type in NUMERIC_TYPES:
        numbers = [v for v in literals if isinstance(v, int | float) and not isinstance(v, bool)]
        bounds = [v for v in (q.min, q.max) if isinstance(v, int | float)]
        found = sorted({x + d for x in numbers + bounds + [0] for d in (-1, -0.5, 0, 0.5, 1)})
        found = [x for x in found if _within(x, q)]
    elif q.type == T.DATE:
        found = ["2000-01-01", "2999-12-31"]
        for v in literals:
            if isinstance(v, str):
                try:
                    day = date.fromisoformat(v)
                except ValueError:
                    continue
                found += [(day + timedelta(days=d)).isoformat() for d in (-1, 0, 1)]
    else:
        found = ["", "x", *(v for v in literals if isinstance(v, str))]
        found += [f"{v} x" for v in literals if isinstance(v, str)]
    if not q.required or q.when is not None:
        found.append(None)
    if q.type == T.CHOICE and q.other:
        found.append(OTHER_CHOICE_ID)
    return found


def _within(x: float, q: Question) -> bool:
    low = q.min if isinstance(q.min, int | float) else None
    high = q.max if isinstance(q.max, int | float) else None
    if q.type == T.INTEGER and x != int(x):
        return False
    return (low is None or x >= low) and (high is None or x <= high)


def _satisfiable(condition: Condition, known: dict[str, Question]) -> bool:
    literals = condition.constants()
    names = list(condition.names)
    pools = [_candidates(known[n], literals) for n in names]
    total = 1
    for pool in pools:
        total *= max(len(pool), 1)
    if total > MAX_COMBINATIONS:
        return True  # too many to try; assume reachable rather than raise a false alarm
    for combo in itertools.product(*pools):
        if condition.evaluate(dict(zip(names, combo, strict=True))):
            return True
    return False
