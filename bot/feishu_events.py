"""Feishu events into the inbox: by HTTP callback, or by the SDK's long connection.

Either way an event is answered only once it is stored: one transaction notes its event_id
(an event Feishu sends again finds it there and is only acknowledged), gives the sender a
chat account id and the inbox an update id, and stores the update; then the inbox worker,
the same one that handles Telegram's, takes it. A callback that is not Feishu's (a bad
signature, a wrong verification token) is refused with 401 and nothing is stored. A button
press is answered with its notice as a toast when the notice comes in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feishu_protocol import (
    Event,
    Keys,
    Refused,
    challenge_of,
    event_of,
    open_callback,
    stored_payload,
)
from bot.feishu_toasts import Toasts, toast
from bot.webhook import health
from chat.clock import Clock
from storage import feishu, inbox

log = logging.getLogger(__name__)
CALLBACK_PATH = "/feishu/events"
STORE_TIMEOUT = 2.5  # Feishu waits 3 s for an answer, then sends the event again


class FeishuIntake:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 wake: Callable[[], None], toasts: Toasts | None = None) -> None:
        self.sessions, self.clock, self.wake = sessions, clock, wake
        self.toasts = toasts or Toasts()
        # one event at a time: update ids rise in the order events arrive, so a chat's
        # events are handled in the order Feishu sent them
        self._lock = asyncio.Lock()

    async def answer(self, event: dict[str, Any]) -> dict[str, object]:
        """Store an event, then what Feishu is answered: for a button press, the notice the
        conversation gives it, as a toast (bot.feishu_toasts), when it comes in time."""
        read = event_of(event)
        if read is None or read.digest.get("kind") != "callback":
            await self.take(event, read)
            return {}
        waiting = self.toasts.expect(read.event_id)
        try:
            stored = await self.take(event, read)
        except BaseException:
            self.toasts.forget(read.event_id)
            raise
        if stored != "stored":
            self.toasts.forget(read.event_id)
            return {}
        return toast(await self.toasts.wait(read.event_id, waiting))

    async def take(self, event: dict[str, Any], read: Event | None = None) -> str:
        """Store an event: "stored", "duplicate" (seen before) or "ignored" (not read)."""
        read = read or event_of(event)
        if read is None:
            return "ignored"
        async with self._lock:
            now = self.clock()
            async with self.sessions.begin() as session:
                update_id = await inbox.new_event(session, "feishu", read.event_id, now)
                if update_id is None:
                    return "duplicate"
                chat = await feishu.account_for(session, read.open_id, now)
                pressed = None
                if read.card_message_id or read.card_number is not None:
                    sent = await feishu.pressed_card(session, read.card_message_id,
                                                     read.card_number)
                    pressed = None if sent is None else (sent.id, sent.text)
                await inbox.store(session, [stored_payload(update_id, chat, read, pressed)], now)
        self.wake()
        return "stored"


def callback_app(intake: FeishuIntake, keys: Keys) -> web.Application:
    """The HTTP callback for events and card buttons (both may use the same address)."""

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            # the signature's age is a matter of real time, like a certificate's
            event = open_callback(body, request.headers, keys, time.time())
        except Refused as exc:
            log.warning("refused a Feishu callback from %s: %s", request.remote, exc)
            return web.json_response({"msg": str(exc)}, status=401)
        challenge = challenge_of(event)
        if challenge is not None:
            return web.json_response({"challenge": challenge})
        # raises: 500, and Feishu sends it again; answered only once stored
        return web.json_response(await intake.answer(event))

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(CALLBACK_PATH, receive)
    app.router.add_get("/healthz", health)
    return app


class _Handler:
    """What the SDK's long connection calls with each event's JSON, on its own thread: it
    returns (and the SDK acknowledges) once the event is stored in our event loop."""

    def __init__(self, intake: FeishuIntake, loop: asyncio.AbstractEventLoop) -> None:
        self.intake, self.loop = intake, loop

    def _do_without_validation(self, payload: bytes) -> dict[str, object]:
        event = json.loads(payload)
        return asyncio.run_coroutine_threadsafe(self.intake.answer(event), self.loop).result(
            STORE_TIMEOUT)


class LongConnection:
    """The SDK's WebSocket client on a thread of its own (it runs its own event loop, the one
    current when its module is imported), for a bot with no public address. It reconnects
    by itself until `stop`."""

    def __init__(self, intake: FeishuIntake, app_id: str, app_secret: str,
                 domain: str) -> None:
        self.intake, self.app_id, self.app_secret = intake, app_id, app_secret
        self.domain = domain.rstrip("/")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: Any = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        handler = _Handler(self.intake, asyncio.get_running_loop())
        ready = threading.Event()

        def run() -> None:
            own = asyncio.new_event_loop()
            asyncio.set_event_loop(own)
            import lark_oapi.ws.client as ws_client

            ws_client.loop = own  # the SDK keeps the loop of the thread that imported it
            self.loop, self.client = own, ws_client.Client(
                self.app_id, self.app_secret, event_handler=handler, domain=self.domain)
            ready.set()
            try:
                self.client.start()
            except BaseException as exc:  # stopped (cancelled), or refused for good
                if self.client._auto_reconnect:
                    log.error("the Feishu long connection ended: %s", exc)

        self.thread = threading.Thread(target=run, name="feishu-long-connection", daemon=True)
        self.thread.start()
        ready.wait(30)

    async def stop(self) -> None:
        """Close the connection and end the client's tasks; its thread then ends."""
        if self.client is None or self.loop is None or self.loop.is_closed():
            return
        client = self.client

        async def shut() -> None:
            client._auto_reconnect = False
            with contextlib.suppress(Exception):
                await client._disconnect()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            # the task the client's start() runs until goes last: its end stops the loop
            main = [t for t in others if getattr(t.get_coro(), "__name__", "") == "_select"]
            rest = [t for t in others if t not in main]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
            for task in main:
                task.cancel()

        with contextlib.suppress(Exception):
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(shut(), self.loop))
        if self.thread is not None:
            await asyncio.to_thread(self.thread.join, 5)
