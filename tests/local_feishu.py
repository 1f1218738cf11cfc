"""A local Feishu (Lark) for tests: the Open API the bot's SDK calls, over real HTTP, and
events pushed to the bot's callback the way Feishu sends them (encrypted with the app's
encrypt key, signed, carrying the verification token).

The official lark-oapi client is pointed at this server's address (it accepts http:// on
the loopback only). It fetches a tenant token, sends text and card messages, patches cards
and uploads images and files; every call is recorded, and faults can be injected.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.feishu_protocol import encrypt, signature

APP_ID = "cli_a1b2c3d4e5f6"
APP_SECRET = "local-app-secret"
VERIFICATION_TOKEN = "local-verification-token"
ENCRYPT_KEY = "local-encrypt-key"
TENANT_TOKEN = "t-local-tenant-token"


@dataclass
class Message:
    open_id: str
    msg_type: str
    content: dict[str, Any]
    message_id: str

    @property
    def text(self) -> str:
        """What the person reads: a text, or a card's text."""
        if self.msg_type == "text":
            return str(self.content.get("text", ""))
        return card_text(self.content)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return card_buttons(self.content) if self.msg_type == "interactive" else []


def card_text(card: dict[str, Any]) -> str:
    return "\n".join(e["text"]["content"] for e in card.get("elements", [])
                     if e.get("tag") == "div")


def card_buttons(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["text"]["content"], b["value"]["d"]) for e in card.get("elements", [])
            if e.get("tag") == "action" for b in e["actions"]]


@dataclass
class LocalFeishu:
    messages: list[Message] = field(default_factory=list)
    patches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # id, card
    uploads: list[tuple[str, bytes]] = field(default_factory=list)  # kind, bytes
    faults: list[tuple[int, int, str]] = field(default_factory=list)  # next sends: status, code
    token_requests: int = 0
    tenant_token: str = TENANT_TOKEN  # change it to revoke the one handed out
    connections: list[web.WebSocketResponse] = field(default_factory=list)
    _acks: dict[str, asyncio.Future[int]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # set: the answer to the next card sent waits until it is set again (a press can then
    # arrive between Feishu taking the card and the bot hearing its message id)
    hold_next_card: asyncio.Event | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/open-apis/im/v1/messages", self._create)
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}", self._patch)
        app.router.add_post("/open-apis/im/v1/images", self._image)
        app.router.add_post("/open-apis/im/v1/files", self._file)
        app.router.add_post("/callback/ws/endpoint", self._endpoint)
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for socket in self.connections:
            await socket.close()
        await self._runner.cleanup()

    # ----------------------------------------------------------------- the Open API
    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.tenant_token}"

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.token_requests += 1
        if body.get("app_id") != APP_ID or body.get("app_secret") != APP_SECRET:
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": self.tenant_token,
                                  "expire": 7200})

    def _fault(self) -> web.Response | None:
        if not self.faults:
            return None
        status, code, msg = self.faults.pop(0)
        headers = {"x-ogw-ratelimit-reset": "1"} if status == 429 else {}
        return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        fault = self._fault()
        if fault is not None:
            return fault
        assert request.query.get("receive_id_type") == "open_id"
        body = await request.json()
        message = Message(body["receive_id"], body["msg_type"], json.loads(body["content"]),
                          f"om_{next(self._ids):032x}")
        self.messages.append(message)
        if self.hold_next_card is not None and message.msg_type == "interactive":
            held, self.hold_next_card = self.hold_next_card, None
            held.clear()
            await held.wait()
        return web.json_response({"code": 0, "msg": "success", "data": {
            "message_id": message.message_id, "msg_type": message.msg_type,
            "create_time": str(int(time.time() * 1000))}})

    async def _patch(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        body = await request.json()
        self.patches.append((request.match_info["message_id"], json.loads(body["content"])))
        return web.json_response({"code": 0, "msg": "success", "data": {}})

    async def _image(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["image"]
        assert form["image_type"] == "message" and isinstance(upload, web.FileField)
        self.uploads.append(("image", upload.file.read()))
        return web.json_response({"code": 0, "msg": "success",
                                  "data": {"image_key": f"img_v3_{next(self._ids)}"}})

    async def _file(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        self.uploads.append(("file", upload.file.read()))
        return web.json_response({"code": 0, "msg": "success",
                                  "data": {"file_key": f"file_v3_{next(self._ids)}"}})

    # ------------------------------------------------------------ the long connection
    async def _endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("AppID") != APP_ID or body.get("AppSecret") != APP_SECRET:
            return web.json_response({"code": 514, "msg": "auth failed"})
        return web.json_response({"code": 0, "msg": "ok", "data": {
            "URL": self.base_url.replace("http://", "ws://") + "/ws?device_id=local&service_id=1",
            "ClientConfig": {"ReconnectCount": -1, "ReconnectInterval": 1,
                             "ReconnectNonce": 1, "PingInterval": 120}}})

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.connections.append(socket)
        async for message in socket:
            if message.type != aiohttp.WSMsgType.BINARY:
                continue
            frame = Frame()
            frame.ParseFromString(message.data)
            headers = {h.key: h.value for h in frame.headers}
            if frame.method == 1 and headers.get("message_id") in self._acks:
                answer = json.loads(frame.payload)
                self._acks.pop(headers["message_id"]).set_result(int(answer["code"]))
        return socket

    async def push_over_connection(self, event: dict[str, Any]) -> int:
        """Send an event down the long connection as Feishu does; the status the bot's SDK
        answers with (200: it is stored)."""
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        frame = Frame(SeqID=next(self._ids), LogID=0, service=1, method=1,
                      payload=json.dumps(event, ensure_ascii=False).encode())
        message_id = uuid.uuid4().hex
        for key, value in (("type", "event"), ("message_id", message_id), ("sum", "1"),
                           ("seq", "0"), ("trace_id", uuid.uuid4().hex)):
            header = frame.headers.add()
            header.key, header.value = key, value
        self._acks[message_id] = asyncio.get_running_loop().create_future()
        await self.connections[-1].send_bytes(frame.SerializeToString())
        return await asyncio.wait_for(self._acks[message_id], 10)

    # ------------------------------------------------------------- reading what was sent
    def to(self, open_id: str) -> list[Message]:
        return [m for m in self.messages if m.open_id == open_id]

    def texts(self, open_id: str) -> list[str]:
        return [m.text for m in self.to(open_id)]

    def last_card(self, open_id: str) -> Message:
        return next(m for m in reversed(self.to(open_id)) if m.msg_type == "interactive")

    async def wait_for(self, condition: Callable[[], bool], seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; sent so far: "
                                     f"{[m.text[:80] for m in self.messages][-5:]}")
            await asyncio.sleep(0.02)


# --------------------------------------------------------------------- events, as Feishu
def text_event(open_id: str, text: str, event_id: str | None = None) -> dict[str, Any]:
    return {"schema": "2.0", "header": {
        "event_id": event_id or uuid.uuid4().hex, "token": VERIFICATION_TOKEN,
        "create_time": str(int(time.time() * 1000)), "event_type": "im.message.receive_v1",
        "tenant_key": "tenant-local", "app_id": APP_ID},
        "event": {"sender": {"sender_id": {"open_id": open_id, "union_id": "on_x",
                                           "user_id": "u_x"},
                             "sender_type": "user", "tenant_key": "tenant-local"},
                  "message": {"message_id": f"om_in_{uuid.uuid4().hex}", "chat_id": "oc_p2p",
                              "chat_type": "p2p", "message_type": "text",
                              "create_time": str(int(time.time() * 1000)),
                              "content": json.dumps({"text": text}, ensure_ascii=False)}}}


def card_number(card: dict[str, Any]) -> int | None:
    """The number the bot gave the card, as its buttons carry it."""
    return next((b["value"].get("n") for e in card.get("elements", [])
                 if e.get("tag") == "action" for b in e["actions"]), None)


def card_event(open_id: str, message_id: str, data: str, event_id: str | None = None,
               number: int | None = None) -> dict[str, Any]:
    return {"schema": "2.0", "header": {
        "event_id": event_id or uuid.uuid4().hex, "token": VERIFICATION_TOKEN,
        "create_time": str(int(time.time() * 1000)), "event_type": "card.action.trigger",
        "tenant_key": "tenant-local", "app_id": APP_ID},
        "event": {"operator": {"open_id": open_id, "tenant_key": "tenant-local"},
                  "token": "c-token", "host": "im_message",
                  "action": {"tag": "button", "value": {"d": data} if number is None
                             else {"d": data, "n": number}},
                  "context": {"open_message_id": message_id, "open_chat_id": "oc_p2p"}}}


async def push(url: str, event: dict[str, Any], *, encrypt_key: str = ENCRYPT_KEY,
               sign_with: str | None = None, signed_at: float | None = None
               ) -> tuple[int, dict[str, Any]]:
    """POST an event to the bot's callback as Feishu does (signed now, or at `signed_at`);
    (status, JSON answer)."""
    body = json.dumps({"encrypt": encrypt(json.dumps(event, ensure_ascii=False), encrypt_key,
                                          os.urandom(16))}).encode()
    stamp, nonce = str(int(time.time() if signed_at is None else signed_at)), uuid.uuid4().hex
    headers = {"Content-Type": "application/json", "X-Lark-Request-Timestamp": stamp,
               "X-Lark-Request-Nonce": nonce,
               "X-Lark-Signature": signature(stamp, nonce, sign_with or encrypt_key, body)}
    async with aiohttp.ClientSession() as http, http.post(url, data=body,
                                                          headers=headers) as response:
        return response.status, await response.json(content_type=None)
