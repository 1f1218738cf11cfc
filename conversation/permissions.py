"""Who may do what: checked here, once, for every command."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat.capabilities import Channel
from conversation.texts import say
from storage import co_owners
from storage.models import Customer, User

STAFF = frozenset({"rep", "manager", "admin"})
MANAGERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})
ROLE_NAMES = {"rep": {"zh": "销售", "en": "reps"}, "manager": {"zh": "主管", "en": "managers"},
              "admin": {"zh": "管理员", "en": "admins"}}


def allowed(roles: frozenset[str] | None, user: User | None) -> bool:
    """`roles` None: anyone may (customers included); otherwise an active user of one."""
    return roles is None or (user is not None and user.active and user.role in roles)


def stranger(lang: str, channel: Channel, account: str | None) -> str:
    """Who the bot is for. On a channel only staff use (Feishu: a colleague not registered
    yet), with the id an admin registers them by."""
    if channel.customers or not account:
        return say("refuse", lang)
    return say(f"refuse_{channel.name}", lang, account=account)


def refusal(command: str, roles: frozenset[str] | None, user: User | None, lang: str,
            channel: Channel, account: str | None) -> str:
    """Why a command was refused: strangers hear who the bot is for; staff, who may."""
    if user is None or not user.active:
        return stranger(lang, channel, account)
    names = [ROLE_NAMES[r].get(lang, ROLE_NAMES[r]["en"])
             for r in ("rep", "manager", "admin") if r in (roles or ())]
    joined = ("、" if lang == "zh" else " and ").join(names)
    return say("only_roles", lang, roles=joined, command=command)


async def team_ids(session: AsyncSession, manager: User) -> set[int]:
    rows = await session.scalars(select(User.id).where(User.manager_id == manager.id))
    return {manager.id, *rows}


async def can_see(session: AsyncSession, user: User, customer: Customer) -> bool:
    """Least privilege: reps their own customers, managers their team's, admins all.
    A customer nobody owns yet is seen by managers and admins, who give it an owner
    (`/reassign`, `customers assign`); not by every rep (its contacts are personal data).
    A co-owner sees the customer as its owner does."""
    if user.role == "admin":
        return True
    if customer.owner_id is None:
        return user.role == "manager"
    people = await team_ids(session, user) if user.role == "manager" else {user.id}
    if customer.owner_id in people:
        return True
    return any(u.id in people for u in await co_owners.of_customer(session, customer.id))


async def visible_customers(session: AsyncSession, user: User, limit: int = 50) -> list[Customer]:
    query = select(Customer).order_by(Customer.updated_at.desc()).limit(limit)
    if user.role in ("manager", "rep"):
        people = await team_ids(session, user) if user.role == "manager" else {user.id}
        query = query.where(Customer.owner_id.in_(people)
                            | Customer.id.in_(co_owners.co_owned_by(people)))
    return list((await session.scalars(query)).all())
