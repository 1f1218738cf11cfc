"""The inbox, worked in batches: one transaction handles a batch, one marks it sent; and
the long-polling loop that feeds it.

A pass leases the due updates (after storing new ones, when the poller brings them), hands
them to the conversation and stores every reply with the changes that caused it: one
commit. Then it sends, one chat's replies in order and chats side by side, and marks what
was sent done: a second commit. A crash before the first commit leaves the updates
pending (or, from the poller, unconfirmed: Telegram sends them again); after it, the
stored replies are sent again. Either way nothing is applied twice.

Long polling never loses an update: Telegram forgets updates below the `offset` of the
next getUpdates call, so that call is made only once a batch is stored, handled and its
replies stored (one commit), and sent. A crash in between means Telegram sends the batch
again; the inbox ignores ids it has. Webhook updates come through `stored` (bot/webhook.py).

A chat whose earlier update is not done yet (another process holds it, or it waits for a
retry) waits too, so one chat's answers and replies keep their order across processes.
If anything in a batch fails, the batch is rolled back and handled again with a savepoint
per update: the update that fails is retried later on its own, its chat waits, and the
others go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import incoming_of
from chat.actions import Action, from_json, to_json
from chat.clock import Clock
from chat.delivery import Perform, Sleep, TryLater, deliver
from conversation.handling import Conversation
from storage import accounts, inbox

log = logging.getLogger(__name__)
Fetch = Callable[[int | None, int], Awaitable[list[dict[str, Any]]]]


@dataclass
class Reply:
    update_id: int
    chat_id: int | None
    actions: list[Action]


@dataclass
class Pass:
    replies: list[Reply] = field(default_factory=list)  # in update order
    held: list[int] = field(default_factory=list)  # handed back: their chat waits


def in_chat_order(rows: Sequence[inbox.Claimed]) -> tuple[list[inbox.Claimed], list[int]]:
    """The rows this pass may take, and those whose chat must wait for an earlier update."""
    ready, held, first_seen, waiting = [], [], set(), set()
    for row in rows:
        if row.chat_id not in first_seen:
            first_seen.add(row.chat_id)
            if row.earlier_open:
                waiting.add(row.chat_id)
        if row.chat_id in waiting:
            held.append(row.update_id)
        else:
            ready.append(row)
    return ready, held


class InboxWorker:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], conversation: Conversation,
                 perform: Perform, clock: Clock,
                 sleep: Sleep = asyncio.sleep,
                 limit: int = 200) -> None:
        self.sessions, self.conversation, self.perform = sessions, conversation, perform
        self.clock, self.sleep, self.limit = clock, sleep, limit
        self.wake = asyncio.Event()
        self._arrived: list[tuple[dict[str, Any], asyncio.Future[None]]] = []

    async def take(self, updates: list[dict[str, Any]]) -> int:
        """Updates fresh from getUpdates: stored and handled in one transaction, then sent.
        Returns once they are stored (with their replies) and sent."""
        return await self._pass(updates)

    async def stored(self, update: dict[str, Any]) -> None:
        """A webhook update: returns once it is stored (in the next pass, with whatever else
        arrived meanwhile); raises if it could not be."""
        done = asyncio.get_running_loop().create_future()
        self._arrived.append((update, done))
        self.wake.set()
        await done

    async def run_once(self) -> int:
        """One pass: webhook updates that arrived, and what is due (retries, replies a
        crash left unsent)."""
        arrived, self._arrived = self._arrived, []

        def stored(error: BaseException | None = None) -> None:
            for _, done in arrived:
                if done.done():
                    continue  # the request went away
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)

        try:
            return await self._pass([update for update, _ in arrived], stored)
        except Exception as exc:
            stored(exc)
            raise

    async def run_forever(self, stop: asyncio.Event, idle: float = 0.5) -> None:
        while not stop.is_set():
            try:
                processed = await self.run_once()
            except Exception:
                log.exception("inbox pass failed")
                processed = 0
            if processed == 0 and not self._arrived:
                self.wake.clear()
                waiters = [asyncio.ensure_future(self.wake.wait()),
                           asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()

    async def _pass(self, fresh: list[dict[str, Any]],
                    stored: Callable[[], None] | None = None) -> int:
        try:
            work = await self._handle(fresh, careful=False)
        except Exception:
            log.warning("a batch failed; handling it again update by update", exc_info=True)
            work = await self._handle(fresh, careful=True)
        if stored is not None:
            stored()
        if work.replies:
            await self._send(work)
        return len(work.replies)

    async def _handle(self, fresh: list[dict[str, Any]], careful: bool) -> Pass:
        now = self.clock()
        async with self.sessions.begin() as session:
            if fresh:
                await inbox.store(session, fresh, now)
            ready, held = in_chat_order(await inbox.claim(session, now, self.limit))
            work = Pass(held=held)
            given = {int(u["update_id"]): u for u in fresh}
            pending = [r.update_id for r in ready if r.status == "pending"]
            payloads = given | await inbox.payloads(
                session, [u for u in pending if u not in given])
            todo = [incoming for incoming in (incoming_of(payloads[u]) for u in pending)
                    if incoming is not None]
            handled = await self.conversation.handle_batch(session, todo, careful=careful)
            await inbox.replying(session, {u: to_json(a) for u, a in handled.actions.items()})
            for update_id, error in handled.failed.items():
                log.error("update %s failed: %s", update_id, error)
                await inbox.retry_later(session, update_id, now, error)
            work.held += handled.skipped
            await inbox.defer(session, work.held, now)
            for row in ready:
                if row.update_id in handled.actions:
                    actions = handled.actions[row.update_id]
                elif row.status == "replying":
                    actions = from_json(row.reply or [])
                elif row.update_id in handled.failed or row.update_id in handled.skipped:
                    continue
                else:
                    actions = []  # an update the bot does not read (a group message)
                work.replies.append(Reply(row.update_id, row.chat_id, actions))
        return work

    async def _send(self, work: Pass) -> None:
        by_chat: dict[int | None, list[Reply]] = {}
        for reply in work.replies:
            by_chat.setdefault(reply.chat_id, []).append(reply)
        outcomes = await asyncio.gather(*(self._send_chat(r) for r in by_chat.values()))
        done = [u for sent, _, _ in outcomes for u in sent]
        now = self.clock()
        async with self.sessions.begin() as session:
            await inbox.mark_done(session, done, now)
            for _, failed, later in outcomes:
                if failed is not None:
                    await inbox.retry_later(session, failed[0], now, failed[1])
                await inbox.defer(session, later, now)

    async def _send_chat(self, replies: list[Reply]
                         ) -> tuple[list[int], tuple[int, str] | None, list[int]]:
        """A chat's replies in order: (sent, the one that could not be sent, those after it)."""
        sent: list[int] = []
        for n, reply in enumerate(replies):
            try:
                await deliver(reply.actions, self.perform, on_blocked=self._blocked,
                              sleep=self.sleep)
            except Exception as exc:  # TryLater, or a fault of ours: this update, later
                if not isinstance(exc, TryLater):
                    log.exception("sending the reply to update %s failed", reply.update_id)
                return sent, (reply.update_id, f"{type(exc).__name__}: {exc}"), [
                    r.update_id for r in replies[n + 1:]]
            sent.append(reply.update_id)
        return sent, None, []

    async def _blocked(self, chat_id: int) -> None:
        async with self.sessions.begin() as session:
            await accounts.mark_unreachable(session, chat_id, self.clock())


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
