"""Our Feishu (Lark) client: it sends what the conversation says to a person's Feishu
account, straight over Feishu's Open API with one HTTP session for the process.

A message with buttons goes as an interactive card, and the card's Feishu message id is
remembered under a number (`storage.feishu`), which is what a later `Edit` names; a report
chart goes up as an image and comes back as a card around it; a file as a file message.
The tenant token is fetched at start and renewed half an hour before it expires (or at
once, when Feishu says it is no longer valid). Not the SDK's client: lark-oapi opens a new
HTTP client and TLS context for every call (75 % of the bot's CPU under load, issue 29) and
takes seconds to import; its long connection still brings events (bot.feishu_events).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api_tokens import RenewedToken, json_body
from bot.feishu_protocol import card, delivery_error, text_content
from bot.feishu_toasts import Toasts
from bot.files import file_bytes
from chat.actions import Action, AnswerCallback, Edit, SendFile
from chat.clock import Clock
from chat.delivery import DeliveryError
from storage import accounts, feishu

log = logging.getLogger(__name__)
FEISHU_DOMAIN = "https://open.feishu.cn"  # Lark (outside China): https://open.larksuite.com
TOKEN_MARGIN = 1800  # seconds: Feishu hands out a new token in a token's last half hour
TOKEN_INVALID = {99991661, 99991663, 99991664, 99991668}  # missing, invalid, expired


class FeishuClient:
    name = "feishu"

    def __init__(self, app_id: str, app_secret: str, domain: str,
                 sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.api = domain.rstrip("/") + "/open-apis"
        self.sessions, self.clock = sessions, clock
        self.http: aiohttp.ClientSession | None = None
        self._token = RenewedToken(TOKEN_MARGIN)
        self._open_ids: dict[int, str] = {}
        self.toasts = Toasts()  # the presses whose callback waits for their notice

    async def start(self) -> None:
        """Fetch the tenant token now, so wrong credentials say so at start: raises
        `FeishuRefused`, or aiohttp's error when Feishu cannot be reached."""
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            await self._fetch_token()
        except BaseException:
            await self.close()
            raise

    async def perform(self, action: Action) -> int | None:
        if isinstance(action, AnswerCallback):
            # a notice on a press ("this button is no longer active") is a toast when the
            # press's callback still waits for it (bot.feishu_toasts), else a message
            event_id = action.query_id.split(":")[1]
            if self.toasts.offer(event_id, action.text or None):
                return None
            if action.text:
                chat = int(action.query_id.rsplit(":", 1)[1])
                await self._create(await self._open_id(chat), "text", text_content(action.text))
            return None
        if isinstance(action, Edit):
            await self._edit(action)
            return None
        open_id = await self._open_id(action.chat_id)
        if isinstance(action, SendFile):
            return await self._send_file(open_id, action)
        if action.buttons:  # numbered first: a press may come back before the send returns
            async with self.sessions.begin() as session:
                number = await feishu.reserve_card(session, action.text, self.clock())
            message_id = await self._create(open_id, "interactive",
                                            card(action.text, action.buttons, number=number))
            async with self.sessions.begin() as session:
                await feishu.card_sent(session, number, message_id)
            return number
        await self._create(open_id, "text", text_content(action.text))
        return None

    async def _open_id(self, chat_id: int) -> str:
        if chat_id not in self._open_ids:
            async with self.sessions() as session:
                found = await accounts.externals(session, [chat_id])
            if chat_id not in found:
                raise DeliveryError("permanent", f"no Feishu account {chat_id}")
            self._open_ids[chat_id] = found[chat_id]
        return self._open_ids[chat_id]

    async def _create(self, open_id: str, msg_type: str, content: str) -> str:
        answer = await self._call("POST", "/im/v1/messages?receive_id_type=open_id",
                                  json={"receive_id": open_id, "msg_type": msg_type,
                                        "content": content})
        return str(answer["data"]["message_id"])

    async def _edit(self, action: Edit) -> None:
        async with self.sessions.begin() as session:
            sent = await feishu.card(session, action.message_id)
            if sent is None:
                raise DeliveryError("permanent", f"no Feishu card {action.message_id}")
            if sent.message_id.startswith(feishu.PENDING):  # its send has not returned yet
                raise DeliveryError("transient", f"card {sent.id} is still being sent")
            message_id, sent.text = sent.message_id, action.text
        await self._call("PATCH", f"/im/v1/messages/{message_id}", json={
            "content": card(action.text, action.buttons, number=action.message_id)})

    async def _send_file(self, open_id: str, action: SendFile) -> int | None:
        content = await file_bytes(action)
        form = aiohttp.FormData()
        if action.photo:
            form.add_field("image_type", "message")
            form.add_field("image", content, filename=action.filename,
                           content_type="image/png")
            image = await self._call("POST", "/im/v1/images", data=form)
            await self._create(open_id, "interactive",
                               card(action.caption, image_key=str(image["data"]["image_key"])))
            return None
        form.add_field("file_type",
                       "xls" if action.filename.endswith((".xlsx", ".xls")) else "stream")
        form.add_field("file_name", action.filename)
        form.add_field("file", content, filename=action.filename,
                       content_type="application/octet-stream")
        uploaded = await self._call("POST", "/im/v1/files", data=form)
        await self._create(open_id, "file",
                           json.dumps({"file_key": uploaded["data"]["file_key"]}))
        if action.caption:
            await self._create(open_id, "text", text_content(action.caption))
        return None

    async def _fetch_token(self) -> str:
        """The tenant token: the one in hand, or a new one from Feishu."""
        held = self._token.current()
        if held is not None:
            return held
        assert self.http is not None, "start() first"
        async with self.http.post(f"{self.api}/auth/v3/tenant_access_token/internal",
                                  json={"app_id": self.app_id,
                                        "app_secret": self.app_secret}) as response:
            answer = await response.json(content_type=None)
        token = answer.get("tenant_access_token") if isinstance(answer, dict) else None
        if not token:
            raise FeishuRefused(f"code {answer.get('code')}: {answer.get('msg')}"
                                if isinstance(answer, dict) else str(answer)[:200])
        lifetime = float(answer.get("expire") or 7200)
        return self._token.keep(str(token), lifetime)

    async def _call(self, method: str, path: str, **request: Any) -> dict[str, Any]:
        """One Open API call; Feishu's answer when it said yes, else a `DeliveryError`."""
        assert self.http is not None, "start() first"
        try:
            headers = {"Authorization": f"Bearer {await self._fetch_token()}"}
            async with self.http.request(method, self.api + path, headers=headers,
                                         **request) as response:
                raw, status = await response.read(), response.status
                reset = response.headers.get("x-ogw-ratelimit-reset")
        except FeishuRefused as exc:
            raise DeliveryError("transient", f"Feishu gave no tenant token: {exc}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError("transient", f"Feishu: {type(exc).__name__}: {exc}") from exc
        answer = json_body(raw, "msg")
        code = int(answer.get("code") or 0)
        if status == 200 and code == 0:
            return answer
        if code in TOKEN_INVALID:
            self._token.forget()
            raise DeliveryError("transient", f"{status}/{code}: {answer.get('msg', '')}")
        raise delivery_error(status, code, str(answer.get("msg") or ""),
                             float(reset) if reset else None)

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None


class FeishuRefused(Exception):
    """Feishu gave no tenant token for this app id and secret."""
