"""A person blocking the bot (`my_chat_member` → kicked) makes them unreachable."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Update

from bot.outbox import Outbox
from chat.delivery import Perform
from chat.incoming import Incoming
from conversation.handling import Conversation


async def on_blocked(event: ChatMemberUpdated, event_update: Update, conversation: Conversation,
                     outbox: Outbox, perform: Perform) -> None:
    incoming = Incoming(event_update.update_id, event.from_user.id, event.chat.id,
                        event.from_user.language_code, "blocked")
    await outbox.run(conversation, incoming, perform)


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(on_blocked,
                                   ChatMemberUpdatedFilter(member_status_changed=KICKED))
    return router
