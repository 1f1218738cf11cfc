"""Load errors for flow files: a stable code, a location, what is wrong and what is expected."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes; documented in the README. Never renumber, only add."""

    FILE_UNREADABLE = "F001"
    FILE_TOO_LARGE = "F002"
    YAML_SYNTAX = "F003"
    YAML_TOO_COMPLEX = "F004"
    NOT_A_MAPPING = "F005"
    DUPLICATE_KEY = "F006"
    UNKNOWN_KEY = "F101"
    MISSING_KEY = "F102"
    BAD_VALUE = "F103"
    WRONG_TYPE = "F104"
    DUPLICATE_ID = "F201"
    EMPTY_FLOW = "F202"
    MISSING_TRANSLATION = "F203"
    BAD_CONDITION = "F301"
    UNKNOWN_REFERENCE = "F302"
    FORWARD_REFERENCE = "F303"
    NEVER_TRUE = "F304"
    CONDITION_TYPE = "F305"
    BAD_PLACEHOLDER = "F306"
    PLACEHOLDER_MAY_BE_EMPTY = "F307"
    OPTION_MISMATCH = "F401"
    BAD_MAPPING = "F402"
    BAD_RULE = "F403"
    BAD_PART = "F404"
    # warnings: the flow loads, but something will go wrong for some answers
    FIELD_RANGE = "W501"


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class FlowError:
    code: ErrorCode
    location: Location
    problem: str
    expected: str

    def __str__(self) -> str:
        return f"{self.location}: {self.code} {self.problem}; expected {self.expected}"


class FlowLoadError(Exception):
    """Raised once per load with every problem found, in file order."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = sorted(
            errors, key=lambda e: (e.location.file, e.location.line, e.location.column)
        )
        super().__init__("\n".join(str(e) for e in self.errors))
