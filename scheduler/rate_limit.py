"""Telegram's sending limits as reserved time slots: ~30 messages/s overall, 1/s per chat.

Each send reserves the earliest slot that respects both limits (and any pause a 429
imposed), then waits for it; slots are handed out in order, so concurrent senders
never exceed the limits between them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(self, per_second: float = 30.0, per_chat_seconds: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_chat = per_chat_seconds
        self.monotonic, self.sleep = monotonic, sleep
        self._next = 0.0
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0

    async def acquire(self, chat_id: int) -> None:
        now = self.monotonic()
        slot = max(now, self._next, self._chat_next.get(chat_id, 0.0), self._paused_until)
        self._next = slot + self.interval
        self._chat_next[chat_id] = slot + self.per_chat
        if len(self._chat_next) > 50_000:  # forget chats whose slot has passed
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if slot > now:
            await self.sleep(slot - now)

    def retry_after(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429: nothing goes to that chat, or anywhere, before it ends."""
        until = self.monotonic() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)
        self._paused_until = max(self._paused_until, until)
