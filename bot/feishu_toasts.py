"""Button notices as Feishu toasts.

Feishu shows a toast with what the card callback answers, within its 3 seconds. The press
is stored first and handled by the inbox worker like any update; the callback stays open a
moment for the notice the conversation gives it ("this button is no longer active"), and
answers with it. When the worker is slower than that, or another process took the press, or
the press is handled again after a restart, nobody waits: the notice goes out as a message,
never dropped.
"""

from __future__ import annotations

import asyncio

WAIT = 1.5  # of Feishu's 3 s: storing the press comes first


class Toasts:
    def __init__(self) -> None:
        self._open: dict[str, asyncio.Future[str | None]] = {}

    def expect(self, event_id: str) -> asyncio.Future[str | None]:
        """Called before the press is stored, so the notice cannot come before the wait."""
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._open[event_id] = future
        return future

    async def wait(self, event_id: str, future: asyncio.Future[str | None]) -> str | None:
        """The notice for this press, or None (none, or not in time: then `offer` says no
        and it goes out as a message)."""
        try:
            return await asyncio.wait_for(asyncio.shield(future), WAIT)
        except TimeoutError:
            return future.result() if future.done() else None
        finally:
            self._open.pop(event_id, None)

    def forget(self, event_id: str) -> None:
        self._open.pop(event_id, None)

    def offer(self, event_id: str, text: str | None) -> bool:
        """Hand the notice (None: there is none) to the callback waiting for it; False when
        nobody waits any more."""
        future = self._open.pop(event_id, None)
        if future is None or future.done():
            return False
        future.set_result(text)
        return True


def toast(text: str | None) -> dict[str, object]:
    """The callback's answer: Feishu shows `text` as a toast; {} shows nothing."""
    return {} if not text else {"toast": {"type": "info", "content": text}}
