"""What each chat channel can do, declared once: the conversation builds its menus, /help
and its messages from these (a command or a link that cannot work there is not offered)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    buttons: bool = True  # messages carry buttons whose presses come back
    edits: bool = True  # a sent message can be changed (buttons taken off after a press)
    button_notices: bool = True  # a short notice shown on the press itself
    files: bool = True  # documents (exports) can be sent
    images: bool = True  # pictures (the report's chart) can be sent
    deep_links: bool = True  # a link opens a chat with this bot (invites for customers)
    menu: bool = True  # the platform shows a command menu the bot registers
    customers: bool = True  # customers reach the bot here (else: staff only)
    register_option: str = ""  # how `users add` names someone's id here (staff-only chats)


TELEGRAM = Channel("telegram")
# Feishu: a work chat, staff only; no link opens the bot for an outsider; no command menu
FEISHU = Channel("feishu", deep_links=False, menu=False, customers=False,
                 register_option="--feishu-open-id")
CHANNELS = {channel.name: channel for channel in (TELEGRAM, FEISHU)}


def register(channel: Channel) -> Channel:
    """A chat channel an adapter brings (its module declares it, nothing here changes)."""
    CHANNELS[channel.name] = channel
    return channel


def channel_named(name: str) -> Channel:
    return CHANNELS.get(name, TELEGRAM)
