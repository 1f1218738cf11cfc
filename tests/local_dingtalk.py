"""A local DingTalk for tests, over real HTTP and a real WebSocket: the Stream gateway (the
connection-open call, the stream that pushes robot messages as frames and reads the
acknowledgements), the OpenAPI the bot sends through (access token, one-to-one robot
messages) and the media upload. Every call is recorded; faults can be injected.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CLIENT_ID = "dingabcdefghijklmnop"
CLIENT_SECRET = "local-client-secret"
TOKEN = "local-access-token"
ROBOT_TOPIC = "/v1.0/im/bot/messages/get"


@dataclass
class Sent:
    user_id: str
    key: str  # sampleText, sampleImageMsg, sampleFile
    param: dict[str, Any]

    @property
    def text(self) -> str:
        if self.key == "sampleText":
            return str(self.param.get("content", ""))
        return f"[{self.key}]"


@dataclass
class LocalDingTalk:
    sent: list[Sent] = field(default_factory=list)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)  # type, name, bytes
    opens: int = 0
    token_requests: int = 0
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)  # frame id -> its ack
    faults: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # next sends
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._send)
        app.router.add_post("/media/upload", self._upload)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
        await self.runner.cleanup()

    # ------------------------------------------------------------------ the gateway
    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            return web.json_response({"code": "InvalidAuthentication",
                                      "message": "clientId or clientSecret is wrong"},
                                     status=401)
        topics = [s.get("topic") for s in body.get("subscriptions", [])]
        assert ROBOT_TOPIC in topics, topics
        self.opens += 1
        return web.json_response({"endpoint": f"ws://127.0.0.1:{self.port}/gateway",
                                  "ticket": uuid.uuid4().hex})

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        try:
            async for frame in socket:
                if frame.type == web.WSMsgType.TEXT:
                    ack = json.loads(frame.data)
                    self.acks[str(ack.get("headers", {}).get("messageId"))] = ack
        finally:
            self.sockets.remove(socket)
        return socket

    async def push(self, frame: dict[str, Any]) -> str:
        """Send a frame down the open stream; its frame id (the ack names it)."""
        await self.wait_for(lambda: bool(self.sockets), 20)
        await self.sockets[-1].send_str(json.dumps(frame, ensure_ascii=False))
        return str(frame.get("headers", {}).get("messageId"))

    async def push_raw(self, text: str) -> None:
        await self.wait_for(lambda: bool(self.sockets), 20)
        await self.sockets[-1].send_str(text)

    # ------------------------------------------------------------------ the OpenAPI
    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("appKey") != CLIENT_ID or body.get("appSecret") != CLIENT_SECRET:
            return web.json_response({"code": "InvalidAuthentication", "message": "wrong"},
                                     status=401)
        self.token_requests += 1
        return web.json_response({"accessToken": TOKEN, "expireIn": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        if request.headers.get("x-acs-dingtalk-access-token") != TOKEN:
            return web.json_response({"code": "InvalidAuthentication"}, status=401)
        body = await request.json()
        if self.faults:
            status, answer = self.faults.pop(0)
            return web.json_response(answer, status=status)
        assert body.get("robotCode") == CLIENT_ID
        for user in body["userIds"]:
            self.sent.append(Sent(user, body["msgKey"], json.loads(body["msgParam"])))
        return web.json_response({"processQueryKey": f"q{next(self._ids)}",
                                  "invalidStaffIdList": [], "flowControlledStaffIdList": []})

    async def _upload(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != TOKEN:
            return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
        form = await request.post()
        media = form["media"]
        assert isinstance(media, web.FileField)
        self.uploads.append((str(form["type"]), media.filename, media.file.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": form["type"],
                                  "media_id": f"@media{next(self._ids)}"})

    # ------------------------------------------------------------------ for tests
    def to(self, user_id: str) -> list[Sent]:
        return [s for s in self.sent if s.user_id == user_id]

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("DingTalk saw nothing of what was expected in time; sent: "
                                     + json.dumps([s.text for s in self.sent[-5:]],
                                                  ensure_ascii=False))
            await asyncio.sleep(0.02)


def robot_message(staff_id: str, text: str | None, *, msg_id: str | None = None,
                  conversation_type: str = "1", frame_id: str | None = None,
                  topic: str = ROBOT_TOPIC) -> dict[str, Any]:
    """A robot message as DingTalk's stream pushes it (a CALLBACK frame; data as a JSON
    string); a message pushed again keeps its msgId in a new frame."""
    data: dict[str, Any] = {
        "conversationId": f"cid{staff_id}", "chatbotCorpId": "dingcorp", "chatbotUserId": "bot",
        "msgId": msg_id or f"msg{uuid.uuid4().hex}", "senderNick": "王芳", "isAdmin": False,
        "senderStaffId": staff_id, "sessionWebhookExpiredTime": int(time.time() * 1000) + 5400000,
        "createAt": int(time.time() * 1000), "senderCorpId": "dingcorp",
        "conversationType": conversation_type, "senderId": f"$:LWCP_v1:${staff_id}",
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=x",
        "robotCode": CLIENT_ID}
    if text is None:
        data |= {"msgtype": "picture",
                 "content": {"downloadCode": "abc", "pictureDownloadCode": "d"}}
    else:
        data |= {"msgtype": "text", "text": {"content": text}}
    return {"specVersion": "1.0", "type": "CALLBACK",
            "headers": {"appId": "app", "connectionId": "conn",
                        "contentType": "application/json",
                        "messageId": frame_id or uuid.uuid4().hex,
                        "time": str(int(time.time() * 1000)), "topic": topic},
            "data": json.dumps(data, ensure_ascii=False)}
