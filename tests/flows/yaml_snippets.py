"""Building small flow files inline, the way the tests write them."""

from __future__ import annotations

import textwrap

from flows.errors import FlowError, FlowLoadError
from flows.loader import load_text
from flows.model import Flow

HEADER = """\
languages: [zh, en]
flows:
  - id: demo
    title: {zh: 演示, en: Demo}
    audience: customer
    version: 1
    questions:
"""


def flow_yaml(questions: str, rules: str = "") -> str:
    """A one-flow file; `questions` and `rules` are YAML list items at column 0."""
    text = HEADER + textwrap.indent(textwrap.dedent(questions), " " * 6)
    if rules:
        text += "    on_complete:\n" + textwrap.indent(textwrap.dedent(rules), " " * 6)
    return text


def load_flow(questions: str, rules: str = "") -> Flow:
    return load_text(flow_yaml(questions, rules), "demo.yaml")[0]


def flow_errors(questions: str, rules: str = "") -> list[FlowError]:
    """Every problem of a flow that must not load."""
    try:
        load_text(flow_yaml(questions, rules), "demo.yaml")
    except FlowLoadError as exc:
        return list(exc.errors)
    raise AssertionError("the flow loaded")
