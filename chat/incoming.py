"""An update as the conversation core sees it, whichever framework received it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Incoming:
    update_id: int
    user_id: int
    chat_id: int
    language_code: str | None
    kind: str  # "text" | "command" | "callback" | "contact" | "blocked" | "other"
    text: str = ""
    command: str | None = None  # without the slash, lower case
    args: str = ""
    first_name: str = ""
    callback_id: str | None = None
    callback_data: str | None = None
    message_id: int | None = None  # the message a pressed button belongs to
    message_text: str | None = None  # that message's text
    channel: str = "telegram"  # the channel it came by (chat.capabilities)
    account: str | None = None  # the channel's own id of the sender, where not a number
