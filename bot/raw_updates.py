"""getUpdates over plain HTTP, keeping Telegram's JSON exactly as sent (for the inbox)."""

from __future__ import annotations

from typing import Any

import aiohttp

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


class UpdateFetcher:
    def __init__(self, api_base: str, token: str) -> None:
        self.url = f"{api_base.rstrip('/')}/bot{token}/getUpdates"
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, offset: int | None, wait_seconds: int) -> list[dict[str, Any]]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        params: dict[str, Any] = {"timeout": wait_seconds, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        client_timeout = aiohttp.ClientTimeout(total=wait_seconds + 15)
        async with self._session.post(self.url, json=params, timeout=client_timeout) as response:
            body = await response.json(content_type=None)
        if not body.get("ok"):
            raise RuntimeError(f"getUpdates: {body.get('error_code')} {body.get('description')}")
        return list(body["result"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
