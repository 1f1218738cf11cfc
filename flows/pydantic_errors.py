"""Turning pydantic's validation errors into `FlowError`s a flow author can act on."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from flows.errors import ErrorCode, FlowError
from flows.yaml_source import Path, YamlDocument

_I18N = "a text, or a mapping of language to text such as {zh: …, en: …}"
FIELD_HELP: dict[str, str] = {
    "id": "a lowercase id: a letter, then letters, digits or _ (at most 32 characters)",
    "stage": "one of background, pain_point, implication, need_payoff",
    "type": "one of text, number, integer, choice, multi_choice, yes_no, date, phone, "
    "email, scale",
    "audience": "one of customer, rep, any",
    "version": "a whole number from 1, or a short text",
    "text": _I18N, "title": _I18N, "description": _I18N, "why": _I18N, "label": _I18N,
    "pattern_error": _I18N, "min_label": _I18N, "max_label": _I18N, "note": _I18N,
    "required": "true or false", "other": "true or false", "confirm": "true or false",
    "min": "a number (or a date such as 2026-01-31 or today for date questions)",
    "max": "a number (or a date such as 2026-12-31 or today+365d for date questions)",
    "min_length": "a whole number from 0 to 4000", "max_length": "a whole number from 1 to 4000",
    "choices": "a list of {id: …, label: …}", "questions": "a list of questions",
    "flows": "a list of flows", "on_complete": "a list of rules",
    "after": "a delay such as 3d, 2w or 1m", "on": "the id of a date question",
    "tags": "a list of tags such as priority:high", "set": "a mapping such as "
    "{customer.priority: high}", "languages": "a list of language codes such as [zh, en]",
    "when": 'a condition such as `budget_known == "no"`', "if": "a condition",
}
_CHOICE_ID_HELP = "a short id: letters, digits, _ . - (at most 24 characters, no spaces)"


def _is_type_tag(part: object) -> bool:
    return isinstance(part, str) and (
        "[" in part or "-" in part or part in {"str", "int", "float", "bool", "none", "list"}
    )


def _clean(loc: Iterable[int | str]) -> Path:
    return tuple(p for p in loc if not _is_type_tag(p))


def _expected(path: Path) -> str:
    names = [p for p in path if isinstance(p, str)]
    if len(path) >= 2 and path[-2] == "choices":
        return "a mapping {id: …, label: …}"
    if names and names[-1] == "id" and "choices" in path:
        return _CHOICE_ID_HELP
    return FIELD_HELP.get(names[-1], "a valid value") if names else "a mapping"


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def translate(
    exc: ValidationError, doc: YamlDocument, base: Path, model: type[BaseModel]
) -> list[FlowError]:
    """One FlowError per distinct problem location (union branches are folded together)."""
    grouped: dict[Path, list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        grouped.setdefault(_clean(err["loc"]), []).append(dict(err))
    out: list[FlowError] = []
    for path, errs in grouped.items():
        full = (*base, *path)
        first = errs[0]
        kind = first["type"]
        name = str(path[-1]) if path else ""
        if kind == "extra_forbidden":
            allowed = _allowed_keys(_model_at(model, path[:-1]))
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            out.append(FlowError(ErrorCode.UNKNOWN_KEY, doc.locate_key(full),
                                 f"unknown key `{name}`{hint}", "one of " + ", ".join(allowed)))
        elif kind == "missing":
            out.append(FlowError(ErrorCode.MISSING_KEY, doc.locate(full[:-1]),
                                 f"`{name}` is missing", _expected(path)))
        elif len(errs) == 1 and kind in {"enum", "literal_error", "string_pattern_mismatch",
                                        "greater_than_equal", "less_than_equal",
                                        "string_too_long", "too_short"}:
            shown = repr(first.get("input"))[:60]
            out.append(FlowError(ErrorCode.BAD_VALUE, doc.locate(full),
                                 f"{shown} is not a valid `{name}`", _expected(path)))
        else:
            got = type(first.get("input")).__name__.replace("NoneType", "nothing")
            out.append(FlowError(ErrorCode.WRONG_TYPE, doc.locate(full),
                                 f"`{name or 'this'}` has the wrong form (got {got})",
                                 _expected(path)))
    return out


def _model_at(model: type[BaseModel], path: Path) -> type[BaseModel]:
    """The nested model class that `path` points into (for listing its keys)."""
    current = model
    for part in path:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            return current
        inner = _nested_model(field.annotation)
        if inner is None:
            return current
        current = inner
    return current


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None
