"""Numbered choices for channels without buttons: the choices last offered to an account,
so that a reply with a number is taken as that choice's press."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatKeyboard


async def offer(session: AsyncSession, address: int, buttons: Sequence[tuple[str, str]],
                now: datetime) -> None:
    """The choices (label, data) just sent to this account, numbered from 1; none: the last
    message offered nothing (a number typed now is an answer, not a choice)."""
    found = await session.get(ChatKeyboard, address)
    if not buttons:
        if found is not None:
            await session.delete(found)
        return
    if found is None:
        session.add(ChatKeyboard(address=address, buttons=[list(b) for b in buttons],
                                 sent_at=now))
    else:
        found.buttons, found.sent_at = [list(b) for b in buttons], now


async def chosen(session: AsyncSession, address: int, number: int) -> str | None:
    """The data of choice `number` last offered to this account (None: no such choice)."""
    found = await session.get(ChatKeyboard, address)
    if found is None or not 1 <= number <= len(found.buttons):
        return None
    return str(found.buttons[number - 1][1])
