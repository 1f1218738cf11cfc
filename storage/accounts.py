"""People's accounts on the channels (a Telegram user, a Feishu open id, a DingTalk user id)
and the staff users they belong to.

The conversation, the inbox and the reminders reach an account by its `address`, a number:
a Telegram account's own id; any other channel's account one below ADDRESSES_BELOW made from
its row id, one range for every channel (a new channel needs none of its own)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.insert_new import insert_new_id
from storage.models import Account, User

ROLES = ("rep", "manager", "admin")
TELEGRAM = "telegram"
ADDRESSES_BELOW = -(2 ** 60)  # other channels: ADDRESSES_BELOW - accounts.id
ADDRESSES_FROM = -(2 ** 61)  # and above this (below it: the inbox's own update ids)


def address_for(row_id: int) -> int:
    return ADDRESSES_BELOW - row_id


def is_other_channel(address: int | None) -> bool:
    """An address of an account on a channel other than Telegram."""
    return address is not None and ADDRESSES_FROM < address < ADDRESSES_BELOW


async def load(session: AsyncSession, addresses: Iterable[int]
               ) -> tuple[dict[int, Account], dict[int, User]]:
    """The accounts at these addresses and the active staff users they belong to: one query
    for a whole batch of updates."""
    ids = set(addresses)
    if not ids:
        return {}, {}
    rows = await session.execute(
        select(Account, User).outerjoin(User, and_(User.id == Account.user_id,
                                                  User.active.is_(True)))
        .where(Account.address.in_(ids)))
    found: dict[int, Account] = {}
    users: dict[int, User] = {}
    for account, user in rows:
        assert account.address is not None
        found[account.address] = account
        if user is not None:
            users[account.address] = user
    return found, users


def touch(session: AsyncSession, account: Account | None, address: int, language: str,
          now: datetime) -> Account:
    """The account as `load` found it (None: first contact on Telegram, so it is made; other
    channels make theirs as their events arrive); the language follows the app until the
    person chooses one."""
    if account is None:
        account = Account(channel=TELEGRAM, external_id=str(address), address=address,
                          language=language, language_chosen=False, created_at=now,
                          updated_at=now)
        session.add(account)
    elif not account.language_chosen and account.language != language:
        account.language, account.updated_at = language, now
    return account


async def at(session: AsyncSession, address: int) -> Account | None:
    found: Account | None = await session.scalar(select(Account).where(Account.address == address))
    return found


async def mark_unreachable(session: AsyncSession, address: int, now: datetime) -> None:
    account = await at(session, address)
    if account is None:
        account = touch(session, None, address, "zh", now)
    account.unreachable_at = account.unreachable_at or now
    account.updated_at = now


async def account_for(session: AsyncSession, channel: str, external_id: str, now: datetime,
                      language: str | None = None) -> Account:
    """The account of a channel's user id (made on first sight, safe when two processes see
    it at once); its address is set."""
    found = await session.scalar(select(Account).where(Account.channel == channel,
                                                       Account.external_id == external_id))
    if found is None:
        row = await insert_new_id(session, Account, {
            "channel": channel, "external_id": external_id, "language": language,
            "language_chosen": False, "created_at": now, "updated_at": now},
            "channel", "external_id")
        if row is not None:
            address = int(external_id) if channel == TELEGRAM else address_for(row)
            await session.execute(update(Account).where(Account.id == row)
                                  .values(address=address))
        found = await session.scalar(
            select(Account).where(Account.channel == channel,
                                  Account.external_id == external_id)
            .execution_options(populate_existing=True))
    assert found is not None
    return found


async def externals(session: AsyncSession, addresses: Iterable[int]) -> dict[int, str]:
    """The channel's own ids (an open id, a DingTalk user id) behind addresses."""
    ids = set(addresses)
    if not ids:
        return {}
    rows = await session.execute(select(Account.address, Account.external_id)
                                 .where(Account.address.in_(ids)))
    return {address: external for address, external in rows if address is not None}


async def channel_at(session: AsyncSession, address: int) -> str | None:
    """The channel of the account at an address (None: no such account)."""
    if not is_other_channel(address):
        return TELEGRAM
    found: str | None = await session.scalar(select(Account.channel)
                                             .where(Account.address == address))
    return found


async def user_at(session: AsyncSession, address: int) -> User | None:
    """The active staff user an account (at this address) belongs to."""
    found: User | None = await session.scalar(
        select(User).join(Account, Account.user_id == User.id)
        .where(Account.address == address, User.active.is_(True)))
    return found


async def user_by(session: AsyncSession, *, telegram_id: int | None = None,
                  open_id: str | None = None, user_id: int | None = None) -> User | None:
    """A person by their Telegram id, Feishu open id or user id (the first given)."""
    if telegram_id is not None:
        return await user_at(session, telegram_id)
    if user_id is not None:
        return await session.get(User, user_id)
    return await user_on(session, "feishu", open_id or "")


async def user_on(session: AsyncSession, channel: str, external_id: str) -> User | None:
    """The user (active or not) an account on a channel is bound to."""
    found: User | None = await session.scalar(
        select(User).join(Account, Account.user_id == User.id)
        .where(Account.channel == channel, Account.external_id == external_id))
    return found


async def seen(session: AsyncSession, channel: str, limit: int = 50
               ) -> list[tuple[str, datetime, User | None]]:
    """A channel's accounts the bot knows (they wrote, or were bound), newest first, with
    the user bound to each: how an admin finds a new colleague's id."""
    rows = await session.execute(
        select(Account.external_id, Account.created_at, User)
        .outerjoin(User, User.id == Account.user_id).where(Account.channel == channel)
        .order_by(Account.id.desc()).limit(limit))
    return [(external, at, user) for external, at, user in rows]


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


async def add_user(session: AsyncSession, *, telegram_id: int | None, name: str, role: str,
                   now: datetime, language: str = "zh", manager_id: int | None = None) -> User:
    """A staff user (the one already on this Telegram account, given the new name and role)."""
    check_role(role)
    if manager_id is not None:
        await check_manager(session, manager_id)
    existing = None if telegram_id is None else await user_on(session, TELEGRAM,
                                                               str(telegram_id))
    if existing is not None:
        existing.name, existing.role, existing.active = name, role, True
        return existing
    user = User(name=name, role=role, language=language, manager_id=manager_id, active=True,
                created_at=now)
    session.add(user)
    await session.flush()
    if telegram_id is not None:
        await bind(session, user, TELEGRAM, str(telegram_id), now)
    return user


async def bind(session: AsyncSession, user: User, channel: str, external_id: str,
               now: datetime) -> Account:
    """Bind a channel's account to a staff user (one person on several channels, one
    account on each: one bound before on this channel is let go); the account is made if
    the person never wrote. Raises ValueError when another user has it."""
    account = await account_for(session, channel, external_id, now)
    if account.user_id is not None and account.user_id != user.id:
        other = await session.get(User, account.user_id)
        raise ValueError(f"{channel} account {external_id} is already bound to user "
                         f"#{account.user_id} ({other.name if other else '?'}); "
                         "unbind it there first")
    await session.execute(update(Account).where(
        Account.user_id == user.id, Account.channel == channel, Account.id != account.id)
        .values(user_id=None))
    account.user_id = user.id
    await session.flush()
    return account


async def accounts_of(session: AsyncSession, user_ids: Iterable[int]
                      ) -> dict[int, list[Account]]:
    """Each user's accounts, the one they are reached at first (Telegram, else the first
    bound) first."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(Account).where(Account.user_id.in_(ids))
                                 .order_by(Account.id))
    found: dict[int, list[Account]] = {}
    for account in sorted(rows, key=lambda a: (a.channel != TELEGRAM, a.id)):
        assert account.user_id is not None
        found.setdefault(account.user_id, []).append(account)
    return found


async def addresses_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, int]:
    """Where each user is reached: their Telegram account, else the first one bound."""
    return {user: mine[0].address for user, mine in (await accounts_of(session, user_ids)).items()
            if mine[0].address is not None}


async def address_of(session: AsyncSession, user_id: int) -> int | None:
    return (await addresses_of(session, [user_id])).get(user_id)


def actor_of(user: User) -> str:
    """How the audit trail names a staff member: the person (the entry's channel says where)."""
    return f"user:{user.id}"


def address_in(respondent_key: str) -> int | None:
    """The account address behind a respondent key such as "tg:123" (None for "terminal"…)."""
    prefix, _, rest = respondent_key.partition(":")
    return int(rest) if prefix == "tg" and rest.lstrip("-").isdecimal() else None


async def staff_named(session: AsyncSession, actors: set[str]) -> dict[str, User]:
    """The staff behind audit actors: "user:<id>", and "tg:<address>" as entries before the
    people model (0019) named them (other actors are left out)."""
    user_ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdecimal()}
    found: dict[str, User] = {}
    if user_ids:
        for user in await session.scalars(select(User).where(User.id.in_(user_ids))):
            found[actor_of(user)] = user
    addresses = {a: address_in(a) for a in actors}
    wanted = {a for a in addresses.values() if a is not None}
    if wanted:
        rows = await session.execute(select(Account.address, User)
                                     .join(User, User.id == Account.user_id)
                                     .where(Account.address.in_(wanted)))
        by_address = {address: user for address, user in rows}
        for actor, address in addresses.items():
            if address in by_address:
                found[actor] = by_address[address]
    return found


async def actors_of(session: AsyncSession, user: User) -> list[str]:
    """Every actor text a user's entries carry: the person, and the addresses older entries
    named them by."""
    mine = (await accounts_of(session, [user.id])).get(user.id, [])
    return [actor_of(user), *(f"tg:{a.address}" for a in mine if a.address is not None)]
