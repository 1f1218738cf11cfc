"""Which channel an update came from and which one a reply goes out on.

The inbox holds Telegram's updates as Telegram sent them and Feishu's as `bot.feishu_protocol`
digested them; the conversation answers both with the same actions, addressed by account
address, and each goes out through the channel of the account it is addressed to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import feishu_protocol, telegram
from chat import metrics
from chat.actions import Action, AnswerCallback
from chat.delivery import DeliveryError, Perform
from chat.incoming import Incoming
from storage import accounts
from storage.accounts import TELEGRAM, is_other_channel

NAMES = {"telegram": "Telegram", "feishu": "Feishu", "dingtalk": "DingTalk"}


Reader = Callable[[dict[str, Any]], Incoming | None]
# the inbox's payloads of each channel but Telegram's carry the channel's name as a key
READERS: dict[str, Reader] = {"feishu": feishu_protocol.incoming_of}


def add_reader(channel: str, reader: Reader) -> None:
    """How the inbox reads the updates another channel's adapter stores."""
    READERS[channel] = reader


def incoming_of(payload: dict[str, Any]) -> Incoming | None:
    for channel, reader in READERS.items():
        if channel in payload:
            return reader(payload)
    return telegram.incoming_of(payload)


class Directory:
    """The channel each reply goes out on. A Telegram account's address is its Telegram id
    (no look-up); another channel's account is looked up once (an address never changes
    channel). A button notice names its channel in the press's query id ("feishu:…")."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._known: dict[int, str] = {}

    async def channel_of(self, action: Action) -> str:
        if isinstance(action, AnswerCallback):
            prefix, colon, _ = action.query_id.partition(":")
            return prefix if colon else TELEGRAM
        address = action.chat_id
        if not is_other_channel(address):
            return TELEGRAM
        if address not in self._known:
            async with self.sessions() as session:
                found = await accounts.channel_at(session, address)
            if found is None:
                return "unknown"  # not remembered: the account may be made meanwhile
            self._known[address] = found
        return self._known[address]


def routed(sessions: async_sessionmaker[AsyncSession],
           performers: Mapping[str, Perform | None]) -> Perform:
    """One `Perform` for every channel, by the channel of the account each action goes to
    (a channel missing from `performers`, or None there, is not configured here)."""
    directory = Directory(sessions)

    async def perform(action: Action) -> int | None:
        name = await directory.channel_of(action)
        chosen = performers.get(name)
        if chosen is None:
            raise DeliveryError("permanent", f"{NAMES.get(name, name)} is not configured in "
                                "this process")
        try:
            sent = await chosen(action)
        except DeliveryError as error:
            metrics.refused(name, error.kind)
            raise
        metrics.delivered(name)
        return sent

    return perform
