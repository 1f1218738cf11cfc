"""Long polling that never loses an update: store first, confirm after.

Telegram forgets updates below the `offset` of the next getUpdates call, so the
next call is made only after the batch is committed to the inbox. A crash in
between means Telegram sends the batch again; the inbox ignores ids it has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.clock import Clock
from storage import inbox

log = logging.getLogger(__name__)
Fetch = Callable[[int | None, int], Awaitable[list[dict[str, Any]]]]


async def poll(fetch: Fetch, sessions: async_sessionmaker[AsyncSession], clock: Clock,
               stop: asyncio.Event, wake: asyncio.Event, wait_seconds: int = 25) -> None:
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            updates = await fetch(offset, wait_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            delay = min(2.0 ** failures, 30.0)
            log.warning("getUpdates failed (%s); retrying in %.0fs", exc, delay)
            await _sleep_or_stop(stop, delay)
            continue
        failures = 0
        if not updates:
            continue
        async with sessions.begin() as session:
            await inbox.store(session, updates, clock())
        offset = max(int(u["update_id"]) for u in updates) + 1
        wake.set()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
