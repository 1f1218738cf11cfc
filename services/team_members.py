"""Registering a member of the team, the same from the chat (/adduser) and the CLI (`users
add`): a new user, or the known one (by Telegram id or Feishu open id) given the role, the
manager and the other channel; audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, audit, feishu
from storage.models import User


async def register(session: AsyncSession, *, telegram_id: int | None, open_id: str | None,
                   role: str, name: str, manager_id: int | None, actor: str, channel: str,
                   now: datetime, dingtalk_id: str | None = None) -> User:
    """Raises ValueError, saying why, for a role, manager or id that does not fit."""
    user = await _with_channels(session, telegram_id, open_id, dingtalk_id, role, name,
                                manager_id, now)
    await audit.append(session, at=now, actor=actor, action="user.add", entity="user",
                       entity_id=user.id, fields=["role"], channel=channel)
    return user


async def _with_channels(session: AsyncSession, telegram_id: int | None, open_id: str | None,
                         dingtalk_id: str | None, role: str, name: str,
                         manager_id: int | None, now: datetime) -> User:
    """The user with this Telegram id, Feishu open id or DingTalk user id (made if none is
    known), with each bound."""
    known = None if open_id is None else await accounts.user_on(session, "feishu", open_id)
    if known is None and dingtalk_id is not None:
        known = await accounts.user_on(session, "dingtalk", dingtalk_id)
    if known is None:
        user = await accounts.add_user(session, telegram_id=telegram_id, name=name, role=role,
                                       now=now, manager_id=manager_id)
    else:
        accounts.check_role(role)
        user, user.name, user.role, user.active = known, name, role, True
        if manager_id is not None:
            await accounts.check_manager(session, manager_id)
            user.manager_id = manager_id
        if telegram_id is not None:  # Telegram first, Feishu alongside
            await accounts.bind(session, user, accounts.TELEGRAM, str(telegram_id), now)
    if open_id is not None:
        await feishu.bind(session, user, open_id, now)
    if dingtalk_id is not None:
        await accounts.bind(session, user, "dingtalk", dingtalk_id, now)
    return user


async def manager_named(session: AsyncSession, made: dict[str, User], manager: str,
                        number: int) -> User:
    """A staff sheet's manager: a person of the sheet by name, else one registered, by
    Telegram id or name, who may manage (the rule `users add` applies)."""
    named = made.get(manager)
    if named is None and manager.isdecimal():
        named = await accounts.user_at(session, int(manager))
    if named is None:
        named = await session.scalar(select(User).where(User.name == manager))
    if named is None:
        raise ValueError(f"row {number}: manager {manager!r} is not a manager in the "
                         "sheet or already registered")
    try:
        await accounts.check_manager(session, named.id)  # the rule `users add` applies
    except ValueError as exc:
        raise ValueError(f"row {number}: {exc}") from None
    return named
