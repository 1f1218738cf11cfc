"""Who may do what: checked here, once, for every command."""

from __future__ import annotations

from chat.capabilities import Channel
from conversation.texts import say
from storage.models import User

STAFF = frozenset({"rep", "manager", "admin"})
MANAGERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})
ROLE_NAMES = {"rep": {"zh": "销售", "en": "reps"}, "manager": {"zh": "主管", "en": "managers"},
              "admin": {"zh": "管理员", "en": "admins"}}


def allowed(roles: frozenset[str] | None, user: User | None) -> bool:
    """`roles` None: anyone may (customers included); otherwise an active user of one."""
    return roles is None or (user is not None and user.active and user.role in roles)


def stranger(lang: str, channel: Channel, account: str | None) -> str:
    """Who the bot is for. On a channel only staff use (Feishu, DingTalk: a colleague not
    registered yet), with the id an admin registers them by."""
    if channel.customers or not account or not channel.register_option:
        return say("refuse", lang)
    return say("refuse_staff_chat", lang, account=account, option=channel.register_option)


def refusal(command: str, roles: frozenset[str] | None, user: User | None, lang: str,
            channel: Channel, account: str | None) -> str:
    """Why a command was refused: strangers hear who the bot is for; staff, who may."""
    if user is None or not user.active:
        return stranger(lang, channel, account)
    names = [ROLE_NAMES[r].get(lang, ROLE_NAMES[r]["en"])
             for r in ("rep", "manager", "admin") if r in (roles or ())]
    joined = ("、" if lang == "zh" else " and ").join(names)
    return say("only_roles", lang, roles=joined, command=command)
