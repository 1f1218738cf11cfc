"""One sending budget per process: replies to people go ahead of queued reminders, and
together they never exceed the overall rate or the per-chat pace of reminders."""

from __future__ import annotations

import asyncio
import itertools

from scheduler.rate_limit import RateLimiter

INTERVAL = 0.02  # 50 messages a second


async def test_a_reply_goes_ahead_of_reminders_already_queued() -> None:
    limiter = RateLimiter(per_second=1 / INTERVAL)
    loop = asyncio.get_running_loop()
    taken: list[tuple[float, str]] = []

    async def send(chat: int, urgent: bool) -> None:
        await limiter.acquire(chat, urgent=urgent)
        taken.append((loop.time(), "reply" if urgent else f"reminder {chat}"))

    reminders = [asyncio.create_task(send(chat, False)) for chat in range(30)]
    await asyncio.sleep(INTERVAL * 5)  # a few reminders out, 25 still queued
    await send(1000, True)
    await asyncio.gather(*reminders)

    order = [who for _, who in taken]
    assert order.index("reply") <= 7, order  # not behind the 25 reminders still waiting
    assert len(set(order)) == 31  # every reminder went out too
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(taken)]
    assert min(gaps) >= INTERVAL - 0.003, gaps  # the overall rate holds, replies included


async def test_reminders_to_one_chat_keep_a_second_apart_without_holding_up_others() -> None:
    limiter = RateLimiter(per_second=1 / INTERVAL, per_chat_seconds=0.3)
    loop = asyncio.get_running_loop()
    taken: list[tuple[float, int]] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat)
        taken.append((loop.time(), chat))

    await asyncio.gather(*(send(chat) for chat in [7, 7, 7, 1, 2, 3, 4, 5]))
    sevens = [at for at, chat in taken if chat == 7]
    assert [b - a >= 0.3 - 0.003 for a, b in itertools.pairwise(sevens)] == [True, True]
    others = [at for at, chat in taken if chat != 7]
    assert max(others) < sevens[1]  # the other chats did not wait behind chat 7's second
