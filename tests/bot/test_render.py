"""Buttons stay within Telegram's limits whatever the flow says."""

from __future__ import annotations

from conversation.callback_data import MAX_BYTES, QuestionButton, parse
from conversation.render import keyboard
from flows import engine
from flows.steps import Prompt
from tests.flows.yaml_snippets import load_flow

LONG = "非常非常长的选项" * 20


def test_long_labels_and_ids_never_break_the_callback_data_limit() -> None:
    flow = load_flow(f"""\
- id: {"q" * 32}
  stage: background
  type: multi_choice
  text: x
  other: true
  required: false
  choices:
    - {{id: {"a" * 24}, label: "{LONG}"}}
    - {{id: {"b" * 24}, label: "{LONG}"}}
""")
    step = engine.view(flow, engine.start(flow), "zh")
    assert isinstance(step, Prompt)
    rows = keyboard(flow, 9_999_999_999, step, "zh")
    buttons = [b for row in rows for b in row]
    assert len(buttons) == 5  # two options, Other, Done, Skip
    for button in buttons:
        assert len(button.data.encode()) <= MAX_BYTES
        assert len(button.label) <= 60
        assert isinstance(parse(button.data), QuestionButton)


def test_tampered_callback_data_is_rejected() -> None:
    for data in ("a:1:2", "a:x:2:abc:1", "a:1:2:abc:-5", "a:1:2:abc:-1", "a:1:2:abc",
                 "d:1:2:abc:3", "a:1:2:abc:+1", "zz:1", "x" * 65, ""):
        assert parse(data) is None


def test_help_lists_what_a_role_may_use_on_what_the_channel_can_do() -> None:
    """/help is built from the command table: the role's commands, and only those the
    channel can carry (a channel without files or images gets no /export or /report)."""
    from chat.capabilities import FEISHU, TELEGRAM, Channel
    from conversation.commands import help_for

    def listed(role: str, channel: Channel) -> set[str]:
        return {line.split()[0] for line in help_for(role, channel, "en").splitlines()[1:]}

    rep, manager, admin = (listed(r, TELEGRAM) for r in ("rep", "manager", "admin"))
    assert {"/today", "/note", "/edit", "/debrief"} <= rep and not rep & {"/export", "/merge"}
    assert {"/export", "/report", "/reassign", "/merge"} <= manager - rep
    assert {"/adduser", "/setrole", "/deactivate"} <= admin - manager
    assert listed("manager", FEISHU) == manager  # everything works on Feishu too
    bare = Channel("plain", files=False, images=False)
    assert listed("manager", bare) == manager - {"/export", "/report"}
    assert "/edit customer field value — Correct a card field (staff)" in help_for(
        "rep", TELEGRAM, "en")
