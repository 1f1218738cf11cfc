"""A local Bot API server for benchmarks (loopback only).

Real `getUpdates` long polling with offset semantics, or webhook delivery once the bot
calls `setWebhook`; Telegram's published limits (about 30 messages/s overall, 1/s per
chat with a small burst, 20/min per group: 429 with `retry_after` past them) when
`limits` is on; a configurable response latency; counters. Unlike the test server
(`tests/local_bot_api.py`, whose reply and parameter helpers it shares) it keeps no
call log, so it stays fast for millions of calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from storage.inbox import chat_of
from tests.local_bot_api import error, ok, params_of  # the Bot API's replies and parameters

TOKEN = "123456:BENCH-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
REMINDER_CHATS = 5_000_000  # M6 sends reminders to chats from here on; people are below
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "copyMessage"}


@dataclass
class Bucket:
    """A token bucket: `rate` per second, up to `burst` at once."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """Take one token; return 0 if there was one, else the seconds until there is."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class BenchBotApi:
    limits: bool = False
    latency: float = 0.0  # seconds before every answer but getUpdates
    # webhook replicas behind a load balancer: their ports, taken in turn for each update
    # (Telegram knows one URL; the balancer spreads its requests)
    replicas: list[int] = field(default_factory=list)
    on_send: Callable[[int, int, dict[str, Any], float], None] | None = None
    counters: Counter[str] = field(default_factory=Counter)
    _updates: deque[dict[str, Any]] = field(default_factory=deque)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _overall: Bucket = field(default_factory=lambda: Bucket(30.0, 30.0))
    _chats: dict[int, Bucket] = field(default_factory=dict)
    _webhook: dict[str, Any] = field(default_factory=dict)
    _pusher: asyncio.Task[None] | None = None
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, update: dict[str, Any]) -> float:
        """Make an update available; returns the moment it became available."""
        update["update_id"] = next(self._ids)
        self._updates.append(update)
        self._arrived.set()
        return time.perf_counter()

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.counters[method] += 1
        params = await params_of(request)
        if method == "getUpdates":
            return await self._get_updates(params)
        if self.latency:
            await asyncio.sleep(self.latency)
        if method in SEND_METHODS:
            return self._send(method, params)
        if method == "getMe":
            return ok(BOT)
        if method == "setWebhook":
            self._webhook = params
            if self._pusher is None:
                self._pusher = asyncio.create_task(self._push_webhooks())
            return ok(True)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return ok({"message_id": int(params.get("message_id", 0)), "date": 1_790_000_000,
                        "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                        "text": params.get("text", "")})
        if method == "getWebhookInfo":
            return ok({"url": self._webhook.get("url", ""), "pending_update_count": 0,
                        "has_custom_certificate": False})
        return ok(True)

    def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        chat = int(params["chat_id"])
        now = time.perf_counter()
        if self.limits:
            group = chat < 0
            bucket = self._chats.setdefault(
                chat, Bucket(20 / 60, 3.0) if group else Bucket(1.0, 3.0))
            wait = max(bucket.take(now), self._overall.take(now))
            if wait:
                self.counters["429"] += 1
                self.counters["429 replies" if chat < REMINDER_CHATS else "429 reminders"] += 1
                return error(429, f"Too Many Requests: retry after {math.ceil(wait)}",
                              parameters={"retry_after": math.ceil(wait)})
        self.counters["sent"] += 1
        message_id = next(self._message_ids)
        if self.on_send is not None:
            self.on_send(chat, message_id, params, now)
        return ok({"message_id": message_id, "date": 1_790_000_000,
                    "chat": {"id": chat, "type": "private"}, "text": params.get("text", "")})

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._updates and time.monotonic() < deadline:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
        return ok(list(itertools.islice(self._updates, limit)))

    async def _push_webhooks(self) -> None:
        """Deliver updates to the webhook as Telegram does: up to 40 requests at a time, and
        one chat's updates one at a time, the next only after the bot answered the last."""
        url = str(self._webhook["url"])
        balanced = itertools.cycle([urlsplit(url)._replace(netloc=f"127.0.0.1:{port}").geturl()
                                    for port in self.replicas] or [url])
        headers = {"X-Telegram-Bot-Api-Secret-Token": str(self._webhook.get("secret_token", ""))}
        slots = asyncio.Semaphore(40)
        behind: dict[int | None, deque[dict[str, Any]]] = {}  # chat -> waiting for its turn
        tasks: set[asyncio.Task[None]] = set()
        connector = aiohttp.TCPConnector(limit=40)
        async with aiohttp.ClientSession(connector=connector) as http:
            async def post(update: dict[str, Any]) -> None:
                async with slots:
                    for _ in range(50):
                        try:
                            async with http.post(next(balanced), json=update,
                                                 headers=headers) as response:
                                if response.status == 200:
                                    break
                        except aiohttp.ClientError:
                            pass  # the bot is stopping (the end of a measure): try again
                        await asyncio.sleep(0.1)
                waiting = behind[chat_of(update)]
                if waiting:
                    start(waiting.popleft())
                else:
                    del behind[chat_of(update)]

            def start(update: dict[str, Any]) -> None:
                task = asyncio.create_task(post(update))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            try:
                while True:
                    while not self._updates:
                        self._arrived.clear()
                        await self._arrived.wait()
                    update = self._updates.popleft()
                    chat = chat_of(update)
                    if chat in behind:
                        behind[chat].append(update)
                    else:
                        behind[chat] = deque()
                        start(update)
            finally:  # the measure is over: deliveries under way end with it
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
