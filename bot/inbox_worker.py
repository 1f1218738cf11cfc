"""Processing the inbox: oldest first, one chat's updates strictly in order."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.actions import Action, from_json
from chat.clock import Clock
from chat.delivery import Perform, TryLater, deliver
from conversation.handling import Deferred
from storage import accounts, inbox

log = logging.getLogger(__name__)


class Dispatch(Protocol):
    async def __call__(self, payload: dict[str, Any]) -> tuple[bool, list[Action]]:
        """Run the framework's handlers; (handled, actions). Raise what the handler raised."""


class InboxWorker:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dispatch: Dispatch,
                 perform: Perform, clock: Clock,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.sessions, self.dispatch, self.perform = sessions, dispatch, perform
        self.clock, self.sleep = clock, sleep
        self.wake = asyncio.Event()

    async def run_once(self, limit: int = 200) -> int:
        """Claim a batch and process it; different chats run side by side. Returns its size."""
        async with self.sessions.begin() as session:
            rows = await inbox.claim(session, self.clock(), limit)
            batch = [(r.update_id, r.chat_id, r.status, r.payload, r.reply) for r in rows]
        by_chat: dict[int | None, list[tuple[Any, ...]]] = defaultdict(list)
        for item in batch:
            by_chat[item[1]].append(item)
        await asyncio.gather(*(self._chat(items) for items in by_chat.values()))
        return len(batch)

    async def run_forever(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        while not stop.is_set():
            try:
                processed = await self.run_once()
            except Exception:
                log.exception("inbox pass failed")
                processed = 0
            if processed == 0:
                self.wake.clear()
                waiters = [asyncio.ensure_future(self.wake.wait()),
                           asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()

    async def _chat(self, items: list[tuple[Any, ...]]) -> None:
        for update_id, _chat, status, payload, reply in items:
            if not await self._one(update_id, status, payload, reply):
                return  # keep this chat's order: later updates wait for this one

    async def _one(self, update_id: int, status: str, payload: dict[str, Any],
                   reply: Any) -> bool:
        try:
            if status == "replying":
                actions = from_json(reply or [])
            else:
                handled, actions = await self.dispatch(payload)
                if not handled:
                    actions = []
            await deliver(actions, self.perform, on_blocked=self._blocked, sleep=self.sleep)
        except Deferred:
            await self._release(update_id)
            return False
        except TryLater as exc:
            await self._retry(update_id, str(exc))
            return False
        except Exception as exc:
            log.exception("update %s failed", update_id)
            await self._retry(update_id, f"{type(exc).__name__}: {exc}")
            return False
        # marked at once: another process may take this chat's next update only now, so
        # its replies cannot overtake this one's
        async with self.sessions.begin() as session:
            await inbox.mark_done(session, update_id, self.clock())
        return True

    async def _blocked(self, chat_id: int) -> None:
        async with self.sessions.begin() as session:
            await accounts.mark_unreachable(session, chat_id, self.clock())

    async def _retry(self, update_id: int, error: str) -> None:
        async with self.sessions.begin() as session:
            await inbox.retry_later(session, update_id, self.clock(), error)

    async def _release(self, update_id: int) -> None:
        async with self.sessions.begin() as session:
            await inbox.release(session, update_id)
