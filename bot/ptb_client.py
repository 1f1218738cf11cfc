"""python-telegram-bot as our Telegram client: its Bot and HTTPX request carry every call.

PTB runs no Updater and no handlers here: updates are stored and read by our own poller
or webhook and translated once, in `bot.telegram`, like aiogram's.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from telegram import InputFile
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.files import file_bytes
from bot.ptb_request import AiohttpRequest
from bot.telegram import delivery_error, message_id_of, request_of, upload_of
from chat.actions import Action, SendFile


def _retry_after(exc: RetryAfter) -> tuple[str, float]:
    with warnings.catch_warnings():  # PTB is moving this attribute from int to timedelta
        warnings.simplefilter("ignore")
        value, message = exc.retry_after, exc.message
    return message, value.total_seconds() if isinstance(value, timedelta) else float(value)


class PtbClient:
    name = "ptb"

    def __init__(self, token: str, api_server: str | None) -> None:
        builder = Application.builder().token(token).updater(None).request(AiohttpRequest())
        if api_server:
            builder = builder.base_url(f"{api_server.rstrip('/')}/bot")
        self.app = builder.build()
        # PTB warns when do_api_request names a method it has a typed call for: its typed
        # calls would build each message a second way, beside `bot.telegram`'s, which every
        # adapter shares. Only that warning is silenced, and only for these calls.
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.\w+' instead of "
                                r"'Bot\.do_api_request", category=PTBUserWarning)

    async def start(self) -> str:
        await self.app.initialize()
        return self.app.bot.username or ""

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        return await self._run(method, params)

    async def upload(self, action: SendFile, content: bytes) -> Any:
        method, field, params = upload_of(action)
        return await self._run(method, {**params,
                                        field: InputFile(content, filename=action.filename)})

    async def _run(self, method: str, params: dict[str, Any]) -> Any:
        try:
            return await self.app.bot.do_api_request(method, api_kwargs=params)
        except RetryAfter as exc:
            raise delivery_error(429, *_retry_after(exc)) from exc
        except Forbidden as exc:
            raise delivery_error(403, exc.message) from exc
        except InvalidToken as exc:
            raise delivery_error(401, exc.message) from exc
        except Conflict as exc:
            raise delivery_error(409, exc.message) from exc
        except BadRequest as exc:  # a NetworkError subclass in PTB: before it
            raise delivery_error(400, exc.message) from exc
        except (TimedOut, NetworkError) as exc:
            raise delivery_error(0, exc.message) from exc
        except TelegramError as exc:
            raise delivery_error(400, exc.message) from exc

    async def perform(self, action: Action) -> int | None:
        if isinstance(action, SendFile):
            return message_id_of(await self.upload(action, await file_bytes(action)))
        return message_id_of(await self.call(*request_of(action)))

    async def close(self) -> None:
        await self.app.shutdown()
