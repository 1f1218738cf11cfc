"""Feishu (Lark) people, events and cards, as numbers the rest of the bot already speaks.

The conversation, the inbox and the reminders know a person by a chat account id, an
integer (a Telegram user id is one). A Feishu open id ("ou_…") gets one from a reserved
range below -2**60, far from any Telegram id or group; an event gets an inbox update id from
a range below -2**61, rising in the order events arrive, so one chat's events keep their
order; a card the bot sent gets a small number the conversation edits it by.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.insert_new import insert_new_id
from storage.models import FeishuAccount, FeishuEvent, FeishuMessage, User

ACCOUNTS_BELOW = -(2 ** 60)  # account ids: ACCOUNTS_BELOW - row id
UPDATES_FROM = -(2 ** 62)  # update ids: UPDATES_FROM + row id (below -2**61)


def account_id(row_id: int) -> int:
    return ACCOUNTS_BELOW - row_id


def is_feishu_account(chat_id: int | None) -> bool:
    return chat_id is not None and UPDATES_FROM // 2 < chat_id < ACCOUNTS_BELOW


def _rows(chat_ids: Iterable[int]) -> dict[int, int]:
    """Row id -> chat account id, for those of the ids that are Feishu accounts."""
    return {ACCOUNTS_BELOW - c: c for c in chat_ids if is_feishu_account(c)}


async def account_for(session: AsyncSession, open_id: str, now: datetime) -> int:
    """The chat account id of a Feishu open id (made on first sight)."""
    row = await session.scalar(select(FeishuAccount.id).where(FeishuAccount.open_id == open_id))
    if row is None:
        row = await insert_new_id(session, FeishuAccount,
                                         {"open_id": open_id, "created_at": now}, "open_id")
        if row is None:  # another process made it meanwhile
            row = await session.scalar(select(FeishuAccount.id)
                                       .where(FeishuAccount.open_id == open_id))
    assert row is not None
    return account_id(row)


async def open_ids(session: AsyncSession, chat_ids: Iterable[int]) -> dict[int, str]:
    """The open ids behind Feishu chat account ids."""
    rows = _rows(chat_ids)
    if not rows:
        return {}
    found = await session.execute(select(FeishuAccount.id, FeishuAccount.open_id)
                                  .where(FeishuAccount.id.in_(rows)))
    return {rows[row]: open_id for row, open_id in found}


async def users_of(session: AsyncSession, chat_ids: Iterable[int]) -> dict[int, User]:
    """The active staff bound (by open id) to these Feishu chat account ids."""
    rows = _rows(chat_ids)
    if not rows:
        return {}
    found = await session.execute(
        select(FeishuAccount.id, User).join(User, User.feishu_open_id == FeishuAccount.open_id)
        .where(FeishuAccount.id.in_(rows), User.active.is_(True)))
    return {rows[row]: user for row, user in found}


async def new_event(session: AsyncSession, event_id: str, now: datetime) -> int | None:
    """The inbox update id for an event seen for the first time; None for one seen before
    (Feishu sends an event again when it did not get our answer in time)."""
    row = await insert_new_id(session, FeishuEvent,
                                     {"event_id": event_id, "received_at": now}, "event_id")
    return None if row is None else UPDATES_FROM + row


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
    """Bind a staff user to a Feishu open id; their Feishu chat account id. Someone with no
    Telegram id is reached on Feishu (their `telegram_id` becomes that account id)."""
    other = await session.scalar(select(User).where(User.feishu_open_id == open_id,
                                                    User.id != user.id))
    if other is not None:
        raise ValueError(f"Feishu open id {open_id} is already bound to user #{other.id} "
                         f"({other.name}); unbind it there first")
    chat = await account_for(session, open_id, now)
    taken = await session.scalar(select(User).where(User.telegram_id == chat,
                                                    User.id != user.id))
    if taken is not None:
        taken.telegram_id = None
    user.feishu_open_id = open_id
    if user.telegram_id is None:
        user.telegram_id = chat
    await session.flush()
    return chat


async def seen(session: AsyncSession, limit: int = 50
               ) -> list[tuple[str, datetime, User | None]]:
    """Feishu accounts the bot knows (they wrote, or were bound), newest first, with the user
    bound to each."""
    rows = await session.execute(
        select(FeishuAccount.open_id, FeishuAccount.created_at, User)
        .outerjoin(User, User.feishu_open_id == FeishuAccount.open_id)
        .order_by(FeishuAccount.id.desc()).limit(limit))
    return [(open_id, at, user) for open_id, at, user in rows]
