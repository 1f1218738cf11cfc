"""The official lark-oapi SDK as our Feishu (Lark) client: it sends what the conversation
says to a person's Feishu account.

A message with buttons goes as an interactive card, and the card's Feishu message id is
remembered under a number (`storage.feishu`), which is what a later `Edit` names; a report
chart goes up as an image and comes back as a card around it; a file as a file message.
The SDK is imported only when Feishu is configured (it takes seconds to import).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feishu_protocol import card, delivery_error, text_content
from bot.feishu_toasts import Toasts
from bot.files import file_bytes
from chat.actions import Action, AnswerCallback, Edit, SendFile
from chat.clock import Clock
from chat.delivery import DeliveryError
from storage import accounts, feishu

log = logging.getLogger(__name__)
FEISHU_DOMAIN = "https://open.feishu.cn"  # Lark (outside China): https://open.larksuite.com


class FeishuClient:
    name = "feishu"

    def __init__(self, app_id: str, app_secret: str, domain: str,
                 sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        import lark_oapi as lark

        self.lark = lark
        self.client = (lark.Client.builder().app_id(app_id).app_secret(app_secret)
                       .domain(domain.rstrip("/")).timeout(30).log_level(lark.LogLevel.WARNING)
                       .build())
        self.sessions, self.clock = sessions, clock
        self._open_ids: dict[int, str] = {}
        self.toasts = Toasts()  # the presses whose callback waits for their notice

    async def start(self) -> None:
        """Fetch the tenant token now (the SDK fetches it synchronously; in a thread, the
        first message does not wait on it inside the event loop). Raises if refused."""
        from lark_oapi.core.token.manager import TokenManager

        await asyncio.to_thread(TokenManager.get_self_tenant_token, self.client.config)

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
        from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

        request = (CreateMessageRequest.builder().receive_id_type("open_id")
                   .request_body(CreateMessageRequestBody.builder().receive_id(open_id)
                                 .msg_type(msg_type).content(content).build()).build())
        response = await self._call(self.client.im.v1.message.acreate(request))
        return str(response.data.message_id)

    async def _edit(self, action: Edit) -> None:
        from lark_oapi.api.im.v1 import PatchMessageRequest, PatchMessageRequestBody

        async with self.sessions.begin() as session:
            sent = await feishu.card(session, action.message_id)
            if sent is None:
                raise DeliveryError("permanent", f"no Feishu card {action.message_id}")
            if sent.message_id.startswith(feishu.PENDING):  # its send has not returned yet
                raise DeliveryError("transient", f"card {sent.id} is still being sent")
            message_id, sent.text = sent.message_id, action.text
        request = (PatchMessageRequest.builder().message_id(message_id)
                   .request_body(PatchMessageRequestBody.builder()
                                 .content(card(action.text, action.buttons,
                                               number=action.message_id)).build()).build())
        await self._call(self.client.im.v1.message.apatch(request))

    async def _send_file(self, open_id: str, action: SendFile) -> int | None:
        from lark_oapi.api.im.v1 import (
            CreateFileRequest,
            CreateFileRequestBody,
            CreateImageRequest,
            CreateImageRequestBody,
        )

        content = await file_bytes(action)
        if action.photo:
            upload = (CreateImageRequest.builder().request_body(
                CreateImageRequestBody.builder().image_type("message")
                .image(io.BytesIO(content)).build()).build())
            image = await self._call(self.client.im.v1.image.acreate(upload))
            await self._create(open_id, "interactive",
                               card(action.caption, image_key=str(image.data.image_key)))
            return None
        kind = "xls" if action.filename.endswith((".xlsx", ".xls")) else "stream"
        upload_file = (CreateFileRequest.builder().request_body(
            CreateFileRequestBody.builder().file_type(kind).file_name(action.filename)
            .file(io.BytesIO(content)).build()).build())
        uploaded = await self._call(self.client.im.v1.file.acreate(upload_file))
        await self._create(open_id, "file", json.dumps({"file_key": uploaded.data.file_key}))
        if action.caption:
            await self._create(open_id, "text", text_content(action.caption))
        return None

    async def _call(self, call: Any) -> Any:
        """An SDK call; its response when Feishu said yes, else a `DeliveryError`."""
        try:
            response = await call
        except DeliveryError:
            raise
        except Exception as exc:  # the network, or a body that is not Feishu's JSON
            raise DeliveryError("transient", f"{type(exc).__name__}: {exc}") from exc
        if response.success():
            return response
        raw = response.raw
        status = raw.status_code if raw is not None else 0
        reset = (raw.headers or {}).get("x-ogw-ratelimit-reset") if raw is not None else None
        raise delivery_error(status or 400, int(response.code or 0), str(response.msg or ""),
                             float(reset) if reset else None)

    async def close(self) -> None:
        return None
