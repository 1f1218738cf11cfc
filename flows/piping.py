"""Answer piping: `{competitor}` in a question's text shows an earlier answer.

`{competitor|that vendor}` gives a fallback for when the answer is missing; write
`{{` and `}}` for literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    fallback: str | None
    offset: int


class PlaceholderError(ValueError):
    def __init__(self, problem: str, offset: int) -> None:
        super().__init__(problem)
        self.problem, self.offset = problem, offset


def placeholders(text: str) -> list[Placeholder]:
    """Every placeholder in `text`; raises PlaceholderError on a malformed one."""
    found: list[Placeholder] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise PlaceholderError(f"a lone `{token}`", match.start())
        name, sep, fallback = match.group(1).partition("|")
        name = name.strip()
        if not _NAME.match(name):
            raise PlaceholderError(f"`{token}` does not name a question", match.start())
        found.append(Placeholder(name, fallback.strip() if sep else None, match.start()))
    return found


def fill(text: str, value_of: Callable[[str], str | None]) -> str:
    """Replace placeholders with `value_of(name)`, its fallback, or an em dash."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) is None:
            return token
        name, sep, fallback = match.group(1).partition("|")
        value = value_of(name.strip())
        if value:
            return value
        return fallback.strip() if sep else "—"

    return _TOKEN.sub(replace, text)
