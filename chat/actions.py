"""What the bot does in reply, independent of the chat framework.

Actions are plain data: the conversation core returns them, the inbox stores them
in the same transaction as the answer that caused them, and an adapter performs
them with its own client. Text is always sent as plain text (no parse mode), so a
customer's `<b>` or `*` is shown as typed, never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # callback data, at most 64 bytes


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Send:
    chat_id: int
    text: str
    buttons: Keyboard = ()
    contact_button: str | None = None  # offer Telegram's "share my phone number" button


@dataclass(frozen=True, slots=True)
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class AnswerCallback:
    query_id: str
    text: str | None = None


MAX_CAPTION = 1024


@dataclass(frozen=True, slots=True)
class SendFile:
    """A file: either its bytes (base64, so the reply stays JSON) or a report's figures,
    drawn as a chart when it is sent (so no transaction waits for the drawing)."""

    chat_id: int
    filename: str
    caption: str = ""
    content_b64: str = ""
    chart: dict[str, Any] | None = None
    lang: str = "zh"

    @property
    def photo(self) -> bool:
        return self.chart is not None


Action = Send | Edit | AnswerCallback | SendFile
_KINDS: dict[str, type[Send] | type[Edit] | type[AnswerCallback] | type[SendFile]] = {
    "send": Send, "edit": Edit, "answer_callback": AnswerCallback, "send_file": SendFile}


def clip(text: str) -> str:
    """Fit Telegram's message limit, marking the cut."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def fit(action: Action) -> Action:
    """The action within Telegram's limits: text clipped, a caption too."""
    if isinstance(action, Send | Edit) and len(action.text) > MAX_TEXT:
        return replace(action, text=clip(action.text))
    if isinstance(action, SendFile) and len(action.caption) > MAX_CAPTION:
        return replace(action, caption=action.caption[:MAX_CAPTION - 1] + "…")
    return action


_NAMES = {cls: kind for kind, cls in _KINDS.items()}
_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in _KINDS.values()}


def to_json(actions: list[Action]) -> list[dict[str, Any]]:
    out = []
    for action in actions:
        item: dict[str, Any] = {"kind": _NAMES[type(action)]}
        for name in _FIELDS[type(action)]:
            value = getattr(action, name)
            item[name] = [[{"label": b.label, "data": b.data} for b in row] for row in value] \
                if name == "buttons" else value
        out.append(item)
    return out


def from_json(data: list[dict[str, Any]]) -> list[Action]:
    actions: list[Action] = []
    for item in data:
        fields = dict(item)
        cls = _KINDS[fields.pop("kind")]
        if "buttons" in fields:
            fields["buttons"] = tuple(tuple(Button(**b) for b in row) for row in fields["buttons"])
        actions.append(cls(**fields))
    return actions
