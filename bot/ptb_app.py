"""The python-telegram-bot runtime: PTB handlers translate PTB updates into the same core.

PTB runs no updater here: our poller or webhook stores updates in the inbox and
the inbox worker hands each one to `Application.process_update`, one chat at a
time, which is the sequential processing PTB's conversation model expects.
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.files import file_bytes
from bot.outbox import Outbox
from chat.actions import Action, AnswerCallback, Edit, Keyboard, Send, SendFile
from chat.delivery import DeliveryError
from chat.incoming import Incoming, split_command
from conversation.commands_menu import COMMANDS
from conversation.handling import Conversation

_OUTBOX: ContextVar[Outbox] = ContextVar("ptb_outbox")
PRIVATE = filters.ChatType.PRIVATE


class PtbRuntime:
    name = "ptb"

    def __init__(self, token: str, api_server: str | None) -> None:
        builder = Application.builder().token(token).updater(None)
        if api_server:
            builder = builder.base_url(f"{api_server.rstrip('/')}/bot")
        self.app = builder.build()
        self.conversation: Conversation | None = None
        self.app.add_handler(MessageHandler(PRIVATE & (filters.TEXT | filters.CONTACT),
                                            self._on_message))
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_handler(ChatMemberHandler(self._on_member, ChatMemberHandler.MY_CHAT_MEMBER))

    async def start(self, conversation: Conversation) -> str:
        self.conversation = conversation
        await self.app.initialize()
        return self.app.bot.username or ""

    async def set_commands(self) -> None:
        for lang, entries in COMMANDS.items():
            await self.app.bot.set_my_commands([BotCommand(c, d) for c, d in entries],
                                               language_code=lang)
        await self.app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["zh"]])

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.app.bot.set_webhook(url, secret_token=secret, allowed_updates=[
            "message", "callback_query", "my_chat_member"])

    async def dispatch(self, payload: dict[str, Any]) -> tuple[bool, list[Action]]:
        outbox = Outbox()
        token = _OUTBOX.set(outbox)
        try:
            await self.app.process_update(Update.de_json(payload, self.app.bot))
        finally:
            _OUTBOX.reset(token)
        return outbox.result()

    async def _run(self, incoming: Incoming) -> None:
        assert self.conversation is not None
        await _OUTBOX.get().run(self.conversation, incoming, self.perform)

    async def _on_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None:
            await self._run(_from_message(message, update.update_id))

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._run(_from_callback(update.callback_query, update.update_id))

    async def _on_member(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        member: ChatMemberUpdated | None = update.my_chat_member
        if member is not None and member.new_chat_member.status == ChatMember.BANNED:
            user = member.from_user
            await self._run(Incoming(update.update_id, user.id, member.chat.id,
                                     user.language_code, "blocked"))

    async def perform(self, action: Action) -> int | None:
        bot = self.app.bot
        try:
            if isinstance(action, Send):
                sent = await bot.send_message(action.chat_id, action.text,
                                              reply_markup=_markup(action))
                return sent.message_id
            elif isinstance(action, Edit):
                await bot.edit_message_text(action.text, chat_id=action.chat_id,
                                            message_id=action.message_id,
                                            reply_markup=_inline(action.buttons))
            elif isinstance(action, AnswerCallback):
                await bot.answer_callback_query(action.query_id, text=action.text)
            elif isinstance(action, SendFile):
                content, caption = await file_bytes(action), action.caption or None
                sent = await (
                    bot.send_photo(action.chat_id, content, caption=caption,
                                   filename=action.filename) if action.photo else
                    bot.send_document(action.chat_id, content, caption=caption,
                                      filename=action.filename))
                return sent.message_id
        except RetryAfter as exc:
            raise DeliveryError("retry_after", str(exc), _seconds(exc)) from exc
        except Forbidden as exc:
            raise DeliveryError("forbidden", str(exc)) from exc
        except BadRequest as exc:  # a NetworkError subclass in PTB: check it first
            raise DeliveryError("permanent", str(exc)) from exc
        except (TimedOut, NetworkError) as exc:
            raise DeliveryError("transient", str(exc)) from exc
        return None

    async def close(self) -> None:
        await self.app.shutdown()


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB is moving this attribute from int to timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _from_message(message: Message, update_id: int) -> Incoming:
    user = message.from_user
    user_id, language, name = (user.id, user.language_code, user.first_name) if user else (
        0, None, "")
    if message.contact is not None:
        return Incoming(update_id, user_id, message.chat_id, language, "contact",
                        text=message.contact.phone_number, first_name=name)
    text = message.text or ""
    if text.startswith("/"):
        command, args = split_command(text)
        return Incoming(update_id, user_id, message.chat_id, language, "command", text=text,
                        command=command, args=args, first_name=name)
    return Incoming(update_id, user_id, message.chat_id, language, "text", text=text,
                    first_name=name)


def _from_callback(query: CallbackQuery, update_id: int) -> Incoming:
    user = query.from_user
    message = query.message
    chat_id = message.chat.id if message is not None else user.id
    text = message.text if isinstance(message, Message) else None
    return Incoming(update_id, user.id, chat_id, user.language_code, "callback",
                    first_name=user.first_name, callback_id=query.id,
                    callback_data=query.data or "",
                    message_id=message.message_id if message is not None else None,
                    message_text=text)


def _inline(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)
                                  for b in row] for row in buttons])


def _markup(action: Send) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if action.contact_button and not action.buttons:
        return ReplyKeyboardMarkup([[KeyboardButton(action.contact_button, request_contact=True)]],
                                   resize_keyboard=True, one_time_keyboard=True)
    return _inline(action.buttons)
