"""aiogram 3 as our Telegram client: its Bot and HTTP session carry every Bot API call.

What the bot reads and what it says are translated once, in `bot.telegram`; this module
holds only what is aiogram's: its Bot, its method types, and its exceptions.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, TelegramObject

from bot.files import file_bytes
from bot.telegram import delivery_error, message_id_of, request_of, upload_of
from chat.actions import Action, SendFile

# aiogram raises a class per Bot API status; the status is what our translation reads
_CODES: tuple[tuple[type[TelegramAPIError], int], ...] = (
    (TelegramForbiddenError, 403), (TelegramUnauthorizedError, 401), (TelegramNotFound, 404),
    (TelegramConflictError, 409), (TelegramEntityTooLarge, 413), (TelegramServerError, 500))


def _plain(result: Any) -> Any:
    return result.model_dump(mode="json", exclude_none=True) \
        if isinstance(result, TelegramObject) else result


class AiogramClient:
    name = "aiogram"

    def __init__(self, token: str, api_server: str | None) -> None:
        api = TelegramAPIServer.from_base(api_server) if api_server else PRODUCTION
        self.bot = Bot(token, session=AiohttpSession(api=api))
        self._response_types: dict[Any, Any] = {}

    async def start(self) -> str:
        me = await self.bot.get_me()
        return me.username or ""

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        kind = getattr(methods, method[0].upper() + method[1:])
        self._keep_response_type(kind)
        return await self._run(kind.model_validate(params))

    def _keep_response_type(self, kind: Any) -> None:
        # aiogram reads each reply as `Response[<result type>]`; pydantic keeps such a class
        # only while something refers to it, and builds it anew otherwise (bench M1 profile)
        if kind not in self._response_types:
            self._response_types[kind] = Response[kind.__returning__]

    async def upload(self, action: SendFile, content: bytes) -> Any:
        method, field, params = upload_of(action)
        kind = getattr(methods, method[0].upper() + method[1:])
        self._keep_response_type(kind)
        return await self._run(kind(**params, **{field: BufferedInputFile(content,
                                                                          action.filename)}))

    async def _run(self, method: Any) -> Any:
        try:
            return _plain(await self.bot(method))
        except TelegramRetryAfter as exc:
            raise delivery_error(429, exc.message, float(exc.retry_after)) from exc
        except (TelegramNetworkError, TimeoutError) as exc:
            raise delivery_error(0, str(exc)) from exc
        except TelegramAPIError as exc:
            code = next((c for kind, c in _CODES if isinstance(exc, kind)), 400)
            raise delivery_error(code, exc.message) from exc

    async def perform(self, action: Action) -> int | None:
        if isinstance(action, SendFile):
            return message_id_of(await self.upload(action, await file_bytes(action)))
        return message_id_of(await self.call(*request_of(action)))

    async def close(self) -> None:
        await self.bot.session.close()
