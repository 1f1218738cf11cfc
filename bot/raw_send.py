"""The Bot API over plain HTTP: what the bot says (replies and reminders), and getUpdates
for the poller.

A framework's send path builds and validates typed models for the request and the reply,
then we turned the reply back into a dict: for reminders that was most of the CPU per
message (bench M6), for the bot's replies a sixth of its CPU per answer (bench M1's py-spy
profile: aiogram's `Bot.__call__`, its multipart form and pydantic's validation). This
client posts the JSON `bot.telegram` builds and reads back the message id, with the same
error kinds as the adapters. Only files go through the adapter it wraps. getUpdates is here
too: the inbox stores updates exactly as Telegram sent them, which a framework's typed
update would not give back.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.telegram import ALLOWED_UPDATES, error_of_body, message_id_of, request_of
from chat.actions import Action, AnswerCallback, Edit, Send
from chat.delivery import DeliveryError, Perform

TIMEOUT = aiohttp.ClientTimeout(total=30)
PRODUCTION_API = "https://api.telegram.org"


class BotApi:
    """One aiohttp session to a Bot API server, for the calls that need no framework."""

    def __init__(self, api_base: str, token: str) -> None:
        self.base = f"{api_base.rstrip('/')}/bot{token}/"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def call(self, method: str, params: dict[str, Any],
                   wait: aiohttp.ClientTimeout = TIMEOUT) -> Any:
        try:
            async with self._client().post(self.base + method, json=params,
                                           timeout=wait) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError("transient", f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(body, dict) or not body.get("ok"):
            raise error_of_body(body if isinstance(body, dict) else {}, status)
        return body["result"]

    async def get_updates(self, offset: int | None, wait_seconds: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"timeout": wait_seconds, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        return list(await self.call("getUpdates", params,
                                    aiohttp.ClientTimeout(total=wait_seconds + 15)))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class RawSender:
    """Messages, edits and button answers over plain HTTP; files through `fallback` (the
    adapter, which uploads them)."""

    def __init__(self, api_base: str, token: str, fallback: Perform) -> None:
        self.api = BotApi(api_base, token)
        self.fallback = fallback

    async def perform(self, action: Action) -> int | None:
        if not isinstance(action, Send | Edit | AnswerCallback):
            return await self.fallback(action)
        return message_id_of(await self.api.call(*request_of(action)))

    async def close(self) -> None:
        await self.api.close()
