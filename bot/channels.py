"""Which channel an update came from and which one a reply goes out on.

The inbox holds Telegram's updates as Telegram sent them and Feishu's as `bot.feishu_protocol`
digested them; the conversation answers both with the same actions, addressed by account
address, and those of an account on another channel (storage.accounts) go out through
Feishu, the one other chat a process serves today.
"""

from __future__ import annotations

from typing import Any

from bot import feishu_protocol, telegram
from chat import metrics
from chat.actions import Action, AnswerCallback
from chat.delivery import DeliveryError, Perform
from chat.incoming import Incoming
from storage.accounts import is_other_channel


def incoming_of(payload: dict[str, Any]) -> Incoming | None:
    if "feishu" in payload:
        return feishu_protocol.incoming_of(payload)
    return telegram.incoming_of(payload)


def is_feishu(action: Action) -> bool:
    if isinstance(action, AnswerCallback):
        return action.query_id.startswith("feishu:")
    return is_other_channel(action.chat_id)


def routed(telegram_perform: Perform | None, feishu_perform: Perform | None) -> Perform:
    """One `Perform` for both channels (either may be missing: not configured)."""

    async def perform(action: Action) -> int | None:
        chosen, name = (feishu_perform, "Feishu") if is_feishu(action) \
            else (telegram_perform, "Telegram")
        if chosen is None:
            raise DeliveryError("permanent", f"{name} is not configured in this process")
        try:
            sent = await chosen(action)
        except DeliveryError as error:
            metrics.refused(name.lower(), error.kind)
            raise
        metrics.delivered(name.lower())
        return sent

    return perform
