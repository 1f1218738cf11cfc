"""Long polling that never loses an update: store first, confirm after.

Telegram forgets updates below the `offset` of the next getUpdates call, so the next call
is made only after the batch is stored, handled and its replies stored, in one commit
(`InboxWorker.take`), and sent. A crash in between means Telegram sends the batch again;
the inbox ignores ids it has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.inbox_worker import InboxWorker

log = logging.getLogger(__name__)
Fetch = Callable[[int | None, int], Awaitable[list[dict[str, Any]]]]


async def poll(fetch: Fetch, worker: InboxWorker, stop: asyncio.Event,
               wait_seconds: int = 25) -> None:
    """Until `stop`: a stop during getUpdates ends at once; one during a batch lets the batch
    finish (stored, sent and marked done), so a graceful stop resends nothing."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            updates = await _unless_stopped(fetch(offset, wait_seconds), stop)
            if updates is None:
                return
            if updates:
                await worker.take(updates)
                offset = max(int(u["update_id"]) for u in updates) + 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            delay = min(2.0 ** failures, 30.0)
            log.warning("polling failed (%s); retrying in %.0fs", exc, delay)
            await _sleep_or_stop(stop, delay)
            continue
        failures = 0


async def _unless_stopped(call: Awaitable[list[dict[str, Any]]], stop: asyncio.Event
                          ) -> list[dict[str, Any]] | None:
    fetching = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not fetching.done():
        fetching.cancel()
        await asyncio.gather(fetching, return_exceptions=True)
        return None
    return fetching.result()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
