"""Chat accounts (anyone who wrote to the bot: a Telegram id, or a Feishu account's id from
storage.feishu) and staff users."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import feishu
from storage.models import TelegramAccount, User

ROLES = ("rep", "manager", "admin")


async def load(session: AsyncSession, telegram_ids: Iterable[int]
               ) -> tuple[dict[int, TelegramAccount], dict[int, User]]:
    """The accounts and active staff users behind these Telegram ids, two queries for a
    whole batch of updates."""
    ids = set(telegram_ids)
    if not ids:
        return {}, {}
    found = await session.scalars(select(TelegramAccount)
                                  .where(TelegramAccount.telegram_id.in_(ids)))
    users = await session.scalars(select(User).where(User.telegram_id.in_(ids),
                                                     User.active.is_(True)))
    by_id = {u.telegram_id: u for u in users if u.telegram_id is not None}
    # someone with Telegram and Feishu both: their Feishu account finds them by open id
    by_id |= await feishu.users_of(session, (i for i in ids if i not in by_id))
    return {a.telegram_id: a for a in found}, by_id


def touch(session: AsyncSession, account: TelegramAccount | None, telegram_id: int,
          language: str, now: datetime) -> TelegramAccount:
    """The account as `load` found it (None: first contact, so it is created); the language
    follows Telegram until the person chooses one."""
    if account is None:
        account = TelegramAccount(telegram_id=telegram_id, language=language,
                                  language_chosen=False, created_at=now, updated_at=now)
        session.add(account)
    elif not account.language_chosen and account.language != language:
        account.language, account.updated_at = language, now
    return account


async def mark_unreachable(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    account = await session.get(TelegramAccount, telegram_id)
    if account is None:
        account = TelegramAccount(telegram_id=telegram_id, language="zh", language_chosen=False,
                                  created_at=now, updated_at=now)
        session.add(account)
    account.unreachable_at = account.unreachable_at or now
    account.updated_at = now


async def user_by_telegram(session: AsyncSession, telegram_id: int) -> User | None:
    """The active staff user behind a chat account id (Telegram's, or a Feishu account's)."""
    user = await session.scalar(select(User).where(User.telegram_id == telegram_id,
                                                   User.active.is_(True)))
    if user is None and feishu.is_feishu_account(telegram_id):
        user = (await feishu.users_of(session, [telegram_id])).get(telegram_id)
    return user


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


async def check_manager(session: AsyncSession, manager_id: int) -> None:
    """Someone's manager is an active manager or admin: a rep as one would send the team's
    digests and escalations to the wrong person."""
    manager = await session.get(User, manager_id)
    if manager is None or not manager.active:
        raise ValueError(f"there is no active user #{manager_id} to be the manager "
                         "(`users list` shows the team)")
    if manager.role not in ("manager", "admin"):
        raise ValueError(f"{manager.name} (#{manager_id}) is a {manager.role}, not a manager: "
                         "make them one first (`users set-role … --role manager`)")


async def user_by(session: AsyncSession, *, telegram_id: int | None = None,
                  open_id: str | None = None, user_id: int | None = None) -> User | None:
    """A person by their Telegram id, Feishu open id or user id (the first given)."""
    if telegram_id is not None:
        return await user_by_telegram(session, telegram_id)
    if user_id is not None:
        return await session.get(User, user_id)
    return await session.scalar(select(User).where(User.feishu_open_id == (open_id or "")))


async def add_user(session: AsyncSession, *, telegram_id: int | None, name: str, role: str,
                   now: datetime, language: str = "zh", manager_id: int | None = None) -> User:
    check_role(role)
    if manager_id is not None:
        await check_manager(session, manager_id)
    existing = None if telegram_id is None else await session.scalar(
        select(User).where(User.telegram_id == telegram_id))
    if existing is not None:
        existing.name, existing.role, existing.active = name, role, True
        return existing
    user = User(telegram_id=telegram_id, name=name, role=role, language=language,
                manager_id=manager_id, active=True, created_at=now)
    session.add(user)
    await session.flush()
    return user


def telegram_id_of(respondent_key: str) -> int | None:
    """The Telegram id behind a respondent key such as "tg:123" (None for "terminal"…)."""
    prefix, _, rest = respondent_key.partition(":")
    return int(rest) if prefix == "tg" and rest.lstrip("-").isdecimal() else None


async def staff_by_keys(session: AsyncSession, keys: set[str]) -> list[User]:
    """Staff behind respondent keys such as "tg:123" (other keys are ignored)."""
    ids = {i for i in map(telegram_id_of, keys) if i is not None}
    if not ids:
        return []
    return list(await session.scalars(select(User).where(User.telegram_id.in_(ids))))
