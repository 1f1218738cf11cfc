"""What the work-chat clients (Feishu, DingTalk) share about their Open APIs: an access
token kept until shortly before it expires, and an answer's body read as JSON."""

from __future__ import annotations

import json
import time
from typing import Any


class RenewedToken:
    """An access token and the moment to fetch the next one: `margin` seconds before it
    expires (at least a minute after it was fetched)."""

    def __init__(self, margin: float) -> None:
        self.margin = margin
        self._held: tuple[str, float] | None = None

    def current(self) -> str | None:
        """The token while it is still good to use, else None (fetch another)."""
        if self._held is not None and time.monotonic() < self._held[1]:
            return self._held[0]
        return None

    def keep(self, token: str, lifetime: float) -> str:
        self._held = (token, time.monotonic() + max(lifetime - self.margin, 60))
        return token

    def forget(self) -> None:
        """Expired or revoked: the next call fetches another."""
        self._held = None


def json_body(raw: bytes, text_key: str) -> dict[str, Any]:
    """An answer's body as a JSON object; a body that is not one comes back as its first 200
    characters under `text_key` (so the refusal can say what the server said)."""
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        return {text_key: raw[:200].decode("utf-8", "replace")}
    return answer if isinstance(answer, dict) else {}
