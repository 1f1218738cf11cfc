"""Settings that cannot be used, told in one line each: which variable, what it holds, what
is expected — never pydantic's report with its links."""

from __future__ import annotations

import json
import os
import re
import typing
from collections.abc import Mapping

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

from interview_bot.settings import Settings

PLAIN = {"int_parsing": "expected a whole number", "float_parsing": "expected a number",
         "bool_parsing": "expected true or false",
         "greater_than_equal": "expected a number of at least {ge}",
         "less_than_equal": "expected a number of at most {le}"}
_FIELD = re.compile(r'error parsing value for field "(\w+)"')


def describe(exc: ValidationError | SettingsError,
             environ: Mapping[str, str] | None = None) -> list[str]:
    """One line per setting that is wrong."""
    if isinstance(exc, ValidationError):
        return [_line(error) for error in exc.errors()]
    return [_unparsed(str(exc), os.environ if environ is None else environ)]


def _line(error: Mapping[str, typing.Any]) -> str:
    name = "_".join(str(part) for part in error["loc"]).upper()
    ctx = error.get("ctx", {})
    if error["type"] == "value_error":
        problem = str(ctx.get("error", error["msg"]))
    elif error["type"] in PLAIN:
        problem = PLAIN[error["type"]].format(**ctx)
    else:
        problem = str(error["msg"]).replace("Input should be", "expected")
    return f"{name}={error.get('input')!r} cannot be used: {problem}"


def _unparsed(message: str, environ: Mapping[str, str]) -> str:
    """A list or mapping setting that is not JSON (pydantic-settings names only the
    section): find the variable and say how lists are written."""
    section = (found.group(1) if (found := _FIELD.search(message)) else "").lower()
    model = Settings.model_fields.get(section)
    kind = model.annotation if model is not None else None
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        for field, info in kind.model_fields.items():
            name = f"{section}_{field}".upper()
            origin = typing.get_origin(info.annotation)
            if name in environ and origin in (list, dict) and not _is_json(environ[name]):
                return (f"{name}={environ[name]!r} cannot be used: expected a JSON "
                        f"{'list' if origin is list else 'object'}, e.g. "
                        f"{name}='[\"flows/questions.yaml\"]'")
    return (f"a {section.upper()}_… setting cannot be read: lists and objects are written "
            "as JSON, e.g. INTERVIEW_FLOWS='[\"flows/questions.yaml\"]'")


def _is_json(raw: str) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True
