"""Sending actions through an adapter, within Telegram's rules.

429 waits exactly `retry_after`; network errors and 5xx are retried with backoff;
403 (blocked) marks the person unreachable and drops what was meant for them;
other 4xx (an edit of an unchanged message, an expired button) are logged and
skipped. What cannot be sent now raises `TryLater` so the update is retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from chat.actions import Action, AnswerCallback

log = logging.getLogger(__name__)
MAX_TRIES = 5


@dataclass
class DeliveryError(Exception):
    kind: str  # "retry_after" | "forbidden" | "transient" | "permanent"
    detail: str = ""
    retry_after: float = 0.0


class TryLater(Exception):
    """The Bot API stayed unavailable; keep the update and try again later."""


Perform = Callable[[Action], Awaitable[int | None]]  # the message id, for a Send
Sleep = Callable[[float], Awaitable[None]]


def backoff(attempt: int) -> float:
    return float(min(0.5 * 2 ** attempt, 10.0))


async def deliver(actions: Sequence[Action], perform: Perform, *,
                  on_blocked: Callable[[int], Awaitable[None]],
                  sleep: Sleep = asyncio.sleep) -> None:
    blocked: set[int] = set()
    for action in actions:
        chat = getattr(action, "chat_id", None)
        if chat in blocked:
            continue
        for attempt in range(MAX_TRIES):
            try:
                await perform(action)
                break
            except DeliveryError as error:
                if error.kind == "retry_after":
                    await sleep(error.retry_after)
                elif error.kind == "transient":
                    await sleep(backoff(attempt))
                elif error.kind == "forbidden" and chat is not None:
                    blocked.add(chat)
                    await on_blocked(chat)
                    break
                else:
                    level = logging.DEBUG if isinstance(action, AnswerCallback) else logging.WARNING
                    log.log(level, "dropped %s: %s", type(action).__name__, error.detail)
                    break
        else:
            raise TryLater(f"{type(action).__name__} failed {MAX_TRIES} times")
