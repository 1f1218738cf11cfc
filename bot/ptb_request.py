"""python-telegram-bot's requests over aiohttp instead of its default httpx client.

Profiled under load (issue 29, bench M1): 64 % of the PTB bot's samples were in httpx and
httpcore, for messages the aiogram adapter sends over aiohttp at a fraction of the cost.
PTB lets a bot bring its own `BaseRequest`; this one keeps PTB's contract (status and body
back, TimedOut and NetworkError for what went wrong) on one aiohttp session for the process.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

READ_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0
POOL_SIZE = 256


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout PTB passed, or ours where it passed its "default" marker."""
    if isinstance(value, int | float):
        return float(value)
    return None if value is None else default


class AiohttpRequest(BaseRequest):
    def __init__(self, read_timeout: float = READ_TIMEOUT,
                 connect_timeout: float = CONNECT_TIMEOUT, pool_size: int = POOL_SIZE) -> None:
        self._read, self._connect, self._pool = read_timeout, connect_timeout, pool_size
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: object = BaseRequest.DEFAULT_NONE,
                         write_timeout: object = BaseRequest.DEFAULT_NONE,
                         connect_timeout: object = BaseRequest.DEFAULT_NONE,
                         pool_timeout: object = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        fields = request_data.json_parameters if request_data else {}
        files = request_data.multipart_data if request_data else {}
        body: aiohttp.FormData | dict[str, str] = fields
        if files:
            body = aiohttp.FormData()
            for name, value in fields.items():
                body.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                body.add_field(name, content, filename=filename, content_type=mime)
        write = _seconds(write_timeout, MEDIA_WRITE_TIMEOUT if files else self._read)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=_seconds(connect_timeout, self._connect),
            sock_read=max(filter(None, (_seconds(read_timeout, self._read), write)),
                          default=None))
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as reply:
                return reply.status, await reply.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
