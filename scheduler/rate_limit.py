"""Telegram's sending limits, shared by everything one process sends: ~30 messages/s
overall, 1/s per chat.

Replies to people (`urgent`) take the next free slot at once. Reminders queue, one at a
time, and take a slot only when it has come, so they never hold slots in advance: a
reply waits at most one slot behind reminders, however many are queued. A reminder
for a chat that has just been written to steps aside until that chat's second is up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

SLACK = 0.001  # a timer may fire this much before its moment


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
        self._queue = asyncio.Lock()

    async def acquire(self, chat_id: int, urgent: bool = False) -> None:
        if urgent:  # a person waits for this: the next overall slot, its chat may burst
            now = self.monotonic()
            slot = max(now, self._next, self._paused_until)
            self._take(chat_id, slot, now)
            if slot > now:
                await self.sleep(slot - now)
            return
        while True:
            async with self._queue:
                while True:
                    now = self.monotonic()
                    free = max(now, self._next, self._paused_until)
                    chat_free = self._chat_next.get(chat_id, 0.0)
                    if chat_free > free:
                        break  # that chat is busy: step aside, the queue goes on
                    if free - now <= SLACK:
                        self._take(chat_id, free, now)  # counted from its slot: no drift
                        return
                    await self.sleep(free - now)  # next in line; a reply may take it first
            await self.sleep(chat_free - now)

    def _take(self, chat_id: int, slot: float, now: float) -> None:
        self._next = slot + self.interval
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), slot + self.per_chat)
        if len(self._chat_next) > 50_000:  # forget chats whose slot has passed
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}

    def retry_after(self, chat_id: int, seconds: float, everywhere: bool = True) -> None:
        """Telegram said 429: nothing goes to that chat (or anywhere) before it ends.

        A reply refused while this process keeps to its overall budget hit that chat's
        pace (someone answering faster than one a second): only that chat waits."""
        until = self.monotonic() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)
        if everywhere:
            self._paused_until = max(self._paused_until, until)
