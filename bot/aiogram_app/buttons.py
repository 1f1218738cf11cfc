"""Inline keyboard presses."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Update

from bot.aiogram_app.translate import from_callback
from bot.outbox import Outbox
from chat.delivery import Perform
from conversation.handling import Conversation


async def on_button(query: CallbackQuery, event_update: Update, conversation: Conversation,
                    outbox: Outbox, perform: Perform) -> None:
    await outbox.run(conversation, from_callback(query, event_update.update_id), perform)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_button)
    return router
