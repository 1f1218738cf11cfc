"""The aiogram Bot and Dispatcher, and how actions become Bot API calls."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.aiogram_app import get_routers
from bot.files import file_bytes
from bot.outbox import Outbox
from chat.actions import Action, AnswerCallback, Edit, Keyboard, Send, SendFile
from chat.delivery import DeliveryError
from conversation.commands_menu import COMMANDS
from conversation.handling import Conversation


class AiogramRuntime:
    name = "aiogram"

    def __init__(self, token: str, api_server: str | None) -> None:
        api = TelegramAPIServer.from_base(api_server) if api_server else PRODUCTION
        self.bot = Bot(token, session=AiohttpSession(api=api))
        self.dispatcher = Dispatcher()
        self.dispatcher.include_routers(*get_routers())

    async def start(self, conversation: Conversation) -> str:
        """Connect; returns the bot's username."""
        self.dispatcher["conversation"] = conversation
        me = await self.bot.get_me()
        return me.username or ""

    async def set_commands(self) -> None:
        for lang, entries in COMMANDS.items():
            commands = [BotCommand(command=c, description=d) for c, d in entries]
            await self.bot.set_my_commands(commands, language_code=lang)
        await self.bot.set_my_commands(
            [BotCommand(command=c, description=d) for c, d in COMMANDS["zh"]])

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=[
            "message", "callback_query", "my_chat_member"])

    async def dispatch(self, payload: dict[str, Any]) -> tuple[bool, list[Action]]:
        outbox = Outbox()
        await self.dispatcher.feed_raw_update(self.bot, payload, outbox=outbox,
                                              perform=self.perform)
        return outbox.result()

    async def perform(self, action: Action) -> int | None:
        try:
            if isinstance(action, Send):
                sent = await self.bot.send_message(action.chat_id, action.text,
                                                   reply_markup=_markup(action))
                return sent.message_id
            elif isinstance(action, Edit):
                await self.bot.edit_message_text(
                    text=action.text, chat_id=action.chat_id, message_id=action.message_id,
                    reply_markup=_inline(action.buttons))
            elif isinstance(action, AnswerCallback):
                await self.bot.answer_callback_query(action.query_id, text=action.text)
            elif isinstance(action, SendFile):
                upload = BufferedInputFile(await file_bytes(action), action.filename)
                caption = action.caption or None
                sent = await (self.bot.send_photo(action.chat_id, upload, caption=caption)
                              if action.photo else
                              self.bot.send_document(action.chat_id, upload, caption=caption))
                return sent.message_id
        except TelegramRetryAfter as exc:
            raise DeliveryError("retry_after", str(exc), float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise DeliveryError("forbidden", str(exc)) from exc
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as exc:
            raise DeliveryError("transient", str(exc)) from exc
        except TelegramBadRequest as exc:
            raise DeliveryError("permanent", str(exc)) from exc
        return None

    async def close(self) -> None:
        await self.bot.session.close()


def _inline(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row]
        for row in buttons])


def _markup(action: Send) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if action.contact_button and not action.buttons:
        return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=action.contact_button,
                                                             request_contact=True)]],
                                   resize_keyboard=True, one_time_keyboard=True)
    return _inline(action.buttons)

