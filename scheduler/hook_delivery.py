"""Delivering the outbox to the endpoints admins registered (webhooks).

At least once, in order per endpoint and customer (the next event of a customer waits for
the one before it), each POST signed as Stripe signs its webhooks: `X-Interview-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>`. Timeouts,
connection errors, 408, 425, 429 and 5xx are retried with back-off (429's Retry-After
respected) for 24 hours after the event, then the delivery is dead (`hooks dead`, `hooks
replay`); any other answer is dead at once, since sending the same request again cannot
change it. Each endpoint drains on its own task: a slow receiver delays only itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.clock import Clock
from services import webhooks
from storage import outbox
from storage.models import HookEndpoint, OutboxEvent

log = logging.getLogger(__name__)
RETRY_FOR = timedelta(hours=24)
FIRST_WAIT, LONGEST_WAIT = 10, 1800  # seconds: 10 s, 20 s, 40 s … then every 30 minutes
RETRIED = frozenset({408, 425, 429})
BATCH = 32  # claimed at once per endpoint: IN_FLIGHT × 4 timeouts stay inside the lease
IN_FLIGHT = 8
TIMEOUT_SECONDS = 10.0
PRUNE_EVERY = timedelta(hours=1)
KEEP_DELIVERED = timedelta(days=7)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def merged(data: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`data` with `extra` laid over it: dicts merged, lists joined."""
    out = dict(data)
    for key, value in extra.items():
        have = out.get(key)
        if isinstance(have, dict) and isinstance(value, dict):
            out[key] = merged(have, value)
        elif isinstance(have, list) and isinstance(value, list):
            out[key] = [*have, *value]
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Target:
    id: int
    url: str
    secret: str
    personal: bool

    @classmethod
    def of(cls, endpoint: HookEndpoint) -> Target:
        return cls(endpoint.id, endpoint.url, endpoint.secret, endpoint.personal)


def body_of(event: OutboxEvent, target: Target) -> tuple[bytes, list[str]]:
    """The JSON body for this endpoint, and the personal parts it carries."""
    data, sent = event.data, []
    if event.personal and target.personal:
        data, sent = merged(event.data, event.personal), sorted(event.personal)
    elif event.personal:
        data = {**event.data, "withheld": sorted(event.personal)}
    payload = {"id": event.event_id, "type": event.kind,
               "created": event.created_at.isoformat(), "customer_id": event.customer_id,
               "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), sent


def next_try(attempts: int, created_at: datetime, now: datetime,
             retry_after: float | None = None) -> datetime | None:
    """When to try again after `attempts` failures; None once 24 hours are over."""
    wait = float(min(FIRST_WAIT * 2 ** max(attempts - 1, 0), LONGEST_WAIT))
    if retry_after is not None:
        wait = max(wait, min(retry_after, 3600.0))
    at = now + timedelta(seconds=wait)
    return None if at > created_at + RETRY_FOR else at


@dataclass
class HookStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def add(self, other: HookStats) -> None:
        self.sent, self.retried = self.sent + other.sent, self.retried + other.retried
        self.dead += other.dead


class HookDeliverer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *,
                 lease: timedelta = outbox.LEASE, timeout: float = TIMEOUT_SECONDS,
                 in_flight: int = IN_FLIGHT,
                 signing_clock: Callable[[], float] = time.time) -> None:
        # `clock` decides what is due; a signature carries the real time, which the receiver
        # compares with its own clock
        self.sessions, self.clock, self.lease = sessions, clock, lease
        self.signing_clock = signing_clock
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.in_flight = in_flight
        self.draining: dict[int, asyncio.Task[HookStats]] = {}
        self.pruned_at: datetime | None = None
        self.leases_are_stale = False
        self._client: aiohttp.ClientSession | None = None

    def client(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(
                headers={"User-Agent": "interview-bot-webhooks/1"},
                connector=aiohttp.TCPConnector(limit_per_host=self.in_flight))
        return self._client

    async def close(self) -> None:
        for task in self.draining.values():
            task.cancel()
        await asyncio.gather(*self.draining.values(), return_exceptions=True)
        if self._client is not None:
            await self._client.close()

    async def _targets(self) -> list[Target]:
        now = self.clock()
        async with self.sessions.begin() as session:
            if self.leases_are_stale:  # the only dispatcher (SQLite's lock), just started:
                await outbox.release_leases(session)  # the leases left are a dead one's
                self.leases_are_stale = False
            while await outbox.fan_out(session, now) > 0:
                pass
            if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY:
                await outbox.prune(session, now - KEEP_DELIVERED)
                self.pruned_at = now
            return [Target.of(e) for e in await outbox.endpoints(session)
                    if e.status == "active"]

    async def tick(self) -> None:
        """The scheduler's pass: new events fanned out, and each active endpoint draining
        on its own task (one that is still draining is left to it)."""
        self.draining = {k: task for k, task in self.draining.items() if not task.done()}
        for target in await self._targets():
            if target.id not in self.draining:
                self.draining[target.id] = asyncio.create_task(self._drain(target))

    async def run_once(self) -> HookStats:
        """Everything due now, to every endpoint, waited for (the CLI, tests)."""
        await self.tick()
        total = HookStats()
        for stats in await asyncio.gather(*self.draining.values()):
            total.add(stats)
        return total

    async def _drain(self, target: Target) -> HookStats:
        stats = HookStats()
        gate = asyncio.Semaphore(self.in_flight)
        try:
            while True:
                now = self.clock()
                async with self.sessions.begin() as session:
                    claimed = await outbox.claim(session, target.id, now, BATCH, self.lease)
                if not claimed:
                    return stats
                results = await asyncio.gather(*(self._post(target, c, gate)
                                                 for c in claimed))
                await self._record(target, results, stats)
        except Exception:
            log.exception("webhook delivery to endpoint %s failed; the next pass retries",
                          target.id)
            return stats

    async def _post(self, target: Target, item: outbox.Claimed,
                    gate: asyncio.Semaphore) -> webhooks.Outcome:
        body, sent = body_of(item.event, target)
        async with gate:
            signature = sign(target.secret, int(self.signing_clock()), body)
            headers = {"Content-Type": "application/json", "X-Interview-Event": item.event.kind,
                       "X-Interview-Event-Id": item.event.event_id,
                       "X-Interview-Signature": signature}
            retry_after: float | None = None
            try:
                async with self.client().post(target.url, data=body, headers=headers,
                                              timeout=self.timeout) as reply:
                    text = (await reply.text(errors="replace"))[:200]
                    if 200 <= reply.status < 300:
                        return webhooks.Outcome(item, "sent", None, sent)
                    error = f"HTTP {reply.status}: {text}".strip()
                    if reply.status not in RETRIED and reply.status < 500:
                        return webhooks.Outcome(item, "dead", error, [])
                    retry_after = _seconds(reply.headers.get("Retry-After"))
            except TimeoutError:
                error = f"no answer within {self.timeout.total:g} s"
            except aiohttp.ClientError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
        return webhooks.Outcome(item, "retry", error, [], retry_after)

    async def _record(self, target: Target, results: list[webhooks.Outcome],
                      stats: HookStats) -> None:
        now = self.clock()
        rows = []
        for result in results:
            delivery = result.item.delivery
            attempts = delivery.attempts + 1
            status, next_at = result.status, delivery.next_at
            if status == "retry":
                at = next_try(attempts, result.item.event.created_at, now, result.retry_after)
                status, next_at = ("dead", next_at) if at is None else ("pending", at)
            stats.sent += status == "sent"
            stats.retried += status == "pending"
            stats.dead += status == "dead"
            if status == "dead":
                log.warning("webhook %s to endpoint %s is dead: %s", result.item.event.event_id,
                            target.id, result.error)
            rows.append({"id": delivery.id, "status": status, "attempts": attempts,
                         "next_at": next_at, "last_error": result.error,
                         "sent_at": now if status == "sent" else None})
        async with self.sessions.begin() as session:
            await webhooks.record(session, target.id, rows, results, now)


def _seconds(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
