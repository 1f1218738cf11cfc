"""Replies and reminders to DingTalk: the robot's one-to-one messages through DingTalk's
OpenAPI (`/v1.0/robot/oToMessages/batchSend`, any time, unlike a message's sessionWebhook,
which expires), with an access token fetched and renewed here; pictures and files uploaded
first (`/media/upload`, on DingTalk's older API host).

A message's choices are numbered in its text, and remembered for the person
(storage.keyboards) before it is sent, so the number they type back presses that choice.
DingTalk cannot change a sent message: an edit is left out (the next message says what
happened); a button's notice comes as a message.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api_tokens import RenewedToken, json_body
from bot.dingtalk_protocol import delivery_error, written
from bot.files import file_bytes
from chat.actions import Action, AnswerCallback, Edit, Send, SendFile
from chat.clock import Clock
from chat.delivery import DeliveryError
from storage import accounts, keyboards

TOKEN_MARGIN = 300  # seconds: a token is renewed this long before DingTalk says it expires


class DingTalkClient:
    def __init__(self, client_id: str, client_secret: str, robot_code: str, endpoint: str,
                 oapi_endpoint: str, sessions: async_sessionmaker[AsyncSession],
                 clock: Clock) -> None:
        self.client_id, self.client_secret, self.robot_code = client_id, client_secret, robot_code
        self.endpoint, self.oapi = endpoint.rstrip("/"), oapi_endpoint.rstrip("/")
        self.sessions, self.clock = sessions, clock
        self.http: aiohttp.ClientSession | None = None
        self._token = RenewedToken(TOKEN_MARGIN)
        self._staff_ids: dict[int, str] = {}

    async def start(self) -> None:
        """Fetch a token now, so wrong credentials say so at start. Raises if refused."""
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        await self._access_token()

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()

    async def perform(self, action: Action) -> int | None:
        if isinstance(action, AnswerCallback):
            if action.text:  # no notice on a press here: a message says it
                chat = int(action.query_id.rsplit(":", 1)[1])
                await self._send(chat, "sampleText", {"content": action.text})
            return None
        if isinstance(action, Edit):
            return None  # a sent message stays as it is
        if isinstance(action, SendFile):
            await self._send_file(action)
            return None
        assert isinstance(action, Send)
        text, choices = written(action.text, action.buttons)
        async with self.sessions.begin() as session:  # before: a reply may come at once
            await keyboards.offer(session, action.chat_id, choices, self.clock())
        await self._send(action.chat_id, "sampleText", {"content": text})
        return None

    async def _staff_id(self, chat: int) -> str:
        if chat not in self._staff_ids:
            async with self.sessions() as session:
                found = await accounts.externals(session, [chat])
            if chat not in found:
                raise DeliveryError("permanent", f"no DingTalk account {chat}")
            self._staff_ids[chat] = found[chat]
        return self._staff_ids[chat]

    async def _send(self, chat: int, key: str, param: dict[str, Any]) -> None:
        body = {"robotCode": self.robot_code, "userIds": [await self._staff_id(chat)],
                "msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)}
        answer = await self._call("POST", f"{self.endpoint}/v1.0/robot/oToMessages/batchSend",
                                  json=body, token_header=True)
        if answer.get("invalidStaffIdList") or answer.get("flowControlledStaffIdList"):
            code = "invalidStaffIdList" if answer.get("invalidStaffIdList") else "flowControl"
            raise delivery_error(200, code, json.dumps(answer, ensure_ascii=False)[:200])

    async def _send_file(self, action: SendFile) -> None:
        content, filename = await file_bytes(action), action.filename
        image = action.photo
        form = aiohttp.FormData()
        form.add_field("type", "image" if image else "file")
        form.add_field("media", content, filename=filename,
                       content_type="image/png" if image else "application/octet-stream")
        token = await self._access_token()
        uploaded = await self._call("POST", f"{self.oapi}/media/upload?access_token={token}",
                                    data=form)
        media = uploaded.get("media_id")
        if uploaded.get("errcode") not in (0, None) or not media:
            raise delivery_error(200, str(uploaded.get("errcode")), str(uploaded)[:200])
        if image:
            await self._send(action.chat_id, "sampleImageMsg", {"photoURL": media})
        else:
            kind = filename.rsplit(".", 1)[-1] if "." in filename else "file"
            await self._send(action.chat_id, "sampleFile",
                             {"mediaId": media, "fileName": filename, "fileType": kind})
        if action.caption:
            await self._send(action.chat_id, "sampleText", {"content": action.caption})

    async def _access_token(self) -> str:
        held = self._token.current()
        if held is not None:
            return held
        answer = await self._call("POST", f"{self.endpoint}/v1.0/oauth2/accessToken",
                                  json={"appKey": self.client_id,
                                        "appSecret": self.client_secret})
        token = str(answer.get("accessToken") or "")
        if not token:
            raise DeliveryError("permanent", f"DingTalk gave no access token: {answer}")
        lifetime = float(answer.get("expireIn") or 7200)
        return self._token.keep(token, lifetime)

    async def _call(self, method: str, url: str, token_header: bool = False,
                    **request: Any) -> dict[str, Any]:
        assert self.http is not None, "start() first"
        headers = {"x-acs-dingtalk-access-token": await self._access_token()} \
            if token_header else {}
        try:
            async with self.http.request(method, url, headers=headers, **request) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError("transient", f"DingTalk: {type(exc).__name__}: {exc}") from exc
        answer = json_body(raw, "message")
        if status == 401:
            self._token.forget()  # expired or revoked: the next attempt fetches another
        if status != 200:
            raise delivery_error(status, str(answer.get("code", "")),
                                 str(answer.get("message", "")))
        return answer
