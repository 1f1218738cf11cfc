"""DingTalk's robot messages into the inbox, by Stream mode: the bot opens a WebSocket to
DingTalk (no public address needed) and DingTalk pushes each message as a frame.

A frame is acknowledged only once its message is stored: DingTalk acknowledges nothing
twice and does not push a robot message again, so the store comes first. One transaction
notes the message's `msgId` (a message pushed again comes in a new frame with the same
msgId: found there, only acknowledged), gives the sender an account and the update an
inbox id, turns a number typed for a choice offered into that choice's press, and stores
the update; the inbox worker, the same one that handles Telegram's, takes it from there.
Frames are handled one at a time, in the order they came, so a person's messages keep
their order. The SDK (`dingtalk-stream`) reads the frames and writes the acknowledgements;
the connection loop here is the SDK's, made stoppable and ordered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import platform
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dingtalk_protocol import CHANNEL, message_of, stored_payload
from chat.clock import Clock
from storage import accounts, inbox, keyboards

log = logging.getLogger(__name__)
RECONNECT_AFTER = 2.0  # seconds between attempts after the connection failed or closed


class DingTalkIntake:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 wake: Callable[[], None]) -> None:
        self.sessions, self.clock, self.wake = sessions, clock, wake

    async def take(self, data: Any) -> str:
        """Store a robot message: "stored", "duplicate" (seen before) or "ignored"."""
        message = message_of(data)
        if message is None:
            return "ignored"
        now = self.clock()
        async with self.sessions.begin() as session:
            update_id = await inbox.new_event(session, CHANNEL, message.msg_id, now)
            if update_id is None:
                return "duplicate"
            account = await accounts.account_for(session, CHANNEL, message.staff_id, now)
            assert account.address is not None
            chosen = None
            typed = (message.text or "").strip()
            if typed.isdecimal() and len(typed) <= 3:
                chosen = await keyboards.chosen(session, account.address, int(typed))
                if chosen is not None:  # a choice is pressed once
                    await keyboards.offer(session, account.address, [], now)
            await inbox.store(session, [stored_payload(update_id, account.address, message,
                                                       chosen)], now)
        self.wake()
        return "stored"


def _handler(intake: DingTalkIntake) -> Any:
    """The SDK's handler of robot messages: it acknowledges once `take` has returned; a
    message that cannot be stored is not acknowledged (DingTalk then retries it)."""
    from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage

    class Robot(CallbackHandler):  # type: ignore[misc]
        async def process(self, callback: CallbackMessage) -> tuple[int, str]:
            outcome = await intake.take(callback.data)
            if outcome == "ignored":
                log.info("DingTalk: ignored a frame that is not a one-to-one robot message")
            return AckMessage.STATUS_OK, "OK"

    return Robot()


class StreamConnection:
    """The SDK's stream client: the gateway gives a WebSocket address and ticket, DingTalk
    pushes frames there, we answer each one. Reconnects until `stop`."""

    def __init__(self, intake: DingTalkIntake, client_id: str, client_secret: str,
                 endpoint: str) -> None:
        from dingtalk_stream import ChatbotMessage, Credential, DingTalkStreamClient

        self.endpoint = endpoint.rstrip("/")
        self.client = DingTalkStreamClient(Credential(client_id, client_secret), logger=log)
        self.client.register_callback_handler(ChatbotMessage.TOPIC, _handler(intake))
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self.client.pre_start()
        self.task = asyncio.create_task(self._run())

    async def _open(self, http: aiohttp.ClientSession) -> dict[str, Any] | None:
        """The gateway's answer: where to connect, with which ticket (None: refused)."""
        from dingtalk_stream.version import VERSION_STRING

        body = {"clientId": self.client.credential.client_id,
                "clientSecret": self.client.credential.client_secret,
                "subscriptions": [{"type": "CALLBACK", "topic": t}
                                  for t in self.client.callback_handler_map],
                "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union interview-bot "
                      f"Python/{platform.python_version()}", "localIp": ""}
        try:
            async with http.post(f"{self.endpoint}/v1.0/gateway/connections/open",
                                 json=body) as response:
                if response.status != 200:
                    log.error("DingTalk refused the stream connection: HTTP %s %s",
                              response.status, (await response.text())[:200])
                    return None
                found: dict[str, Any] = await response.json(content_type=None)
                return found
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.error("cannot reach DingTalk's stream gateway at %s: %s", self.endpoint, exc)
            return None

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            while not self.stopping.is_set():
                connection = await self._open(http)
                if connection is not None:
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
                        await self._listen(http, connection)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), RECONNECT_AFTER)

    async def _listen(self, http: aiohttp.ClientSession, connection: dict[str, Any]) -> None:
        uri = f"{connection['endpoint']}?ticket={quote_plus(str(connection['ticket']))}"
        async with http.ws_connect(uri, heartbeat=60) as socket:
            self.connected.set()
            stop = asyncio.ensure_future(self.stopping.wait())
            try:
                while not self.stopping.is_set():
                    receive = asyncio.ensure_future(socket.receive())
                    await asyncio.wait({receive, stop}, return_when=asyncio.FIRST_COMPLETED)
                    if not receive.done():
                        receive.cancel()
                        return
                    frame = receive.result()
                    if frame.type != aiohttp.WSMsgType.TEXT:
                        return  # closed (DingTalk's disconnect, or the network): reconnect
                    if await self._frame(socket, frame.data) == "disconnect":
                        return
            finally:
                stop.cancel()
                self.connected.clear()

    async def _frame(self, socket: aiohttp.ClientWebSocketResponse, raw: str) -> str:
        """One frame, through the SDK's routing: its acknowledgement goes back only after
        the handler (the store) returned; a frame that is not JSON is dropped."""
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("DingTalk sent a frame that is not JSON; ignored")
            return ""
        if not isinstance(message, dict):
            return ""
        self.client.websocket = _Sender(socket)
        try:
            return str(await self.client.route_message(message) or "")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("DingTalk sent a frame the SDK cannot read (%s); ignored", exc)
            return ""
        except Exception:  # not stored (the database?): not acknowledged, DingTalk retries
            log.exception("a DingTalk message could not be stored; not acknowledged")
            return ""

    async def stop(self) -> None:
        self.stopping.set()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 10)


class _Sender:
    """What the SDK writes its acknowledgements to (it calls `send` with their JSON)."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket

    async def send(self, text: str) -> None:
        await self.socket.send_str(text)

    async def close(self) -> None:
        await self.socket.close()
