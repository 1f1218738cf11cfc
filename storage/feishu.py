"""Feishu (Lark) people, events and cards, as numbers the rest of the bot already speaks.

A Feishu open id ("ou_…") is an account like any other (storage.accounts: its address is
what the conversation and the inbox know it by); an event gets its inbox update id from
storage.inbox.new_event; a card the bot sent gets a small number the conversation edits it by.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts
from storage.insert_new import insert_new_id
from storage.models import FeishuMessage, User

FEISHU = "feishu"


async def account_for(session: AsyncSession, open_id: str, now: datetime) -> int:
    """The address of a Feishu open id's account (made on first sight)."""
    address = (await accounts.account_for(session, FEISHU, open_id, now)).address
    assert address is not None
    return address


PENDING = "pending:"  # a card's message id until Feishu has given it one


async def reserve_card(session: AsyncSession, text: str, now: datetime) -> int:
    """A number for a card about to be sent: its buttons carry it, so a press that comes
    back before the send is recorded still finds the card (issue 24, point 10)."""
    row = await insert_new_id(session, FeishuMessage, {
        "message_id": f"{PENDING}{uuid.uuid4().hex}", "text": text, "created_at": now},
        "message_id")
    assert row is not None
    return row


async def card_sent(session: AsyncSession, number: int, message_id: str) -> None:
    await session.execute(update(FeishuMessage).where(FeishuMessage.id == number)
                          .values(message_id=message_id))


async def pressed_card(session: AsyncSession, message_id: str | None,
                       number: int | None) -> FeishuMessage | None:
    """The card a press came from: by the number its button carried (checked against the
    message id once that is known), else by Feishu's message id (older cards)."""
    if number is not None:
        found = await session.get(FeishuMessage, number)
        if found is not None and (found.message_id.startswith(PENDING)
                                  or message_id is None or found.message_id == message_id):
            return found
    return await card_by_message_id(session, message_id) if message_id else None


async def card_by_message_id(session: AsyncSession, message_id: str) -> FeishuMessage | None:
    found: FeishuMessage | None = await session.scalar(
        select(FeishuMessage).where(FeishuMessage.message_id == message_id))
    return found


async def card(session: AsyncSession, number: int) -> FeishuMessage | None:
    return await session.get(FeishuMessage, number)


async def bind(session: AsyncSession, user: User, open_id: str, now: datetime) -> int:
    """Bind a staff user to a Feishu open id; that account's address."""
    address = (await accounts.bind(session, user, FEISHU, open_id, now)).address
    assert address is not None
    return address


async def seen(session: AsyncSession, limit: int = 50
               ) -> list[tuple[str, datetime, User | None]]:
    """Feishu accounts the bot knows (they wrote, or were bound), newest first, with the user
    bound to each."""
    return await accounts.seen(session, FEISHU, limit)
