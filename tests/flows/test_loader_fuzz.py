"""Hostile and mangled flow files: only FlowLoadError, always with a location."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.errors import ErrorCode, FlowLoadError
from flows.loader import default_flow_dir, load_text
from flows.yaml_source import MAX_FILE_BYTES

SOURCE = (default_flow_dir() / "questions.yaml").read_text(encoding="utf-8")
LINES = SOURCE.splitlines(keepends=True)


def load_or_errors(text: str) -> None:
    try:
        load_text(text, "fuzz.yaml")
    except FlowLoadError as exc:
        assert exc.errors, "a FlowLoadError must say what is wrong"
        for error in exc.errors:
            assert error.location.file == "fuzz.yaml"
            assert error.location.line >= 1 and error.location.column >= 1
            assert error.problem and error.expected


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "insert", "swap", "retype"]))
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "insert":
            lines.insert(at, draw(st.text(max_size=40)) + "\n")
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            line = lines[at]
            col = draw(st.integers(0, max(len(line) - 1, 0)))
            lines[at] = line[:col] + draw(st.sampled_from(list(":-{}[]&*!|>'\"#%@` \t"))) + line[
                col + 1:]
    return "".join(lines)


@settings(max_examples=150, deadline=None)
@given(mutated())
def test_mangled_files_raise_only_load_errors_with_locations(text: str) -> None:
    load_or_errors(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_load_errors(text: str) -> None:
    load_or_errors(text)


def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 12):
        refs = ", ".join(["*" + chr(96 + level)] * 10)
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [{refs}]\n"
    bomb += "flows: *l\n"
    try:
        load_text(bomb, "bomb.yaml")
    except FlowLoadError as exc:
        assert [e.code for e in exc.errors] == [ErrorCode.YAML_TOO_COMPLEX]
    else:
        raise AssertionError("an alias bomb was accepted")


def test_huge_file_is_refused_before_parsing() -> None:
    try:
        load_text("#" * (MAX_FILE_BYTES + 1), "huge.yaml")
    except FlowLoadError as exc:
        assert [e.code for e in exc.errors] == [ErrorCode.FILE_TOO_LARGE]
    else:
        raise AssertionError("a huge file was accepted")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    load_or_errors("flows: " + "[" * 5000 + "]" * 5000)


def test_non_utf8_bytes_are_reported() -> None:
    try:
        load_text("flows: []\n# 中文".encode("gbk"), "gbk.yaml")
    except FlowLoadError as exc:
        assert [e.code for e in exc.errors] == [ErrorCode.FILE_UNREADABLE]
    else:
        raise AssertionError("GBK bytes were accepted as UTF-8")
