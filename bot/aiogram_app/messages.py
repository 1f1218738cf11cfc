"""Typed answers and shared contacts."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message, Update

from bot.aiogram_app.translate import from_message
from bot.outbox import Outbox
from chat.delivery import Perform
from conversation.handling import Conversation


async def on_answer(message: Message, event_update: Update, conversation: Conversation,
                    outbox: Outbox, perform: Perform) -> None:
    await outbox.run(conversation, from_message(message, event_update.update_id), perform)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_answer, F.chat.type == "private", F.text | F.contact)
    return router
