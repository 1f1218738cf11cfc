"""sendMessage over plain HTTP, for sending in bulk (reminders).

A framework's send path builds and validates typed models for the request and the reply;
for reminders that was most of the CPU per message (bench M6). This client posts the JSON
and reads back the message id, with the same error kinds as the adapters. Anything but a
plain `Send` goes through the adapter it wraps.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from chat.actions import Action, Send
from chat.delivery import DeliveryError, Perform

TIMEOUT = aiohttp.ClientTimeout(total=30)


def message_json(action: Send) -> dict[str, Any]:
    body: dict[str, Any] = {"chat_id": action.chat_id, "text": action.text}
    if action.buttons:
        body["reply_markup"] = {"inline_keyboard": [
            [{"text": b.label, "callback_data": b.data} for b in row] for row in action.buttons]}
    elif action.contact_button:
        body["reply_markup"] = {
            "keyboard": [[{"text": action.contact_button, "request_contact": True}]],
            "resize_keyboard": True, "one_time_keyboard": True}
    return body


def error_of(body: dict[str, Any], status: int) -> DeliveryError:
    code = int(body.get("error_code") or status)
    detail = f"{code}: {body.get('description', '')}"
    if code == 429:
        retry = float((body.get("parameters") or {}).get("retry_after", 1))
        return DeliveryError("retry_after", detail, retry)
    if code == 403:
        return DeliveryError("forbidden", detail)
    if code >= 500:
        return DeliveryError("transient", detail)
    return DeliveryError("permanent", detail)


class RawSender:
    def __init__(self, api_base: str, token: str, fallback: Perform) -> None:
        self.url = f"{api_base.rstrip('/')}/bot{token}/sendMessage"
        self.fallback = fallback
        self._session: aiohttp.ClientSession | None = None

    async def perform(self, action: Action) -> int | None:
        if not isinstance(action, Send):
            return await self.fallback(action)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.post(self.url, json=message_json(action)) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError("transient", f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(body, dict) or not body.get("ok"):
            raise error_of(body if isinstance(body, dict) else {}, status)
        return int(body["result"]["message_id"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
