"""A one-time link that signs a person in to the web dashboard (valid 10 minutes, usable
once), made the same way from the bot (/dashboard) and the command line (`web link`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, web_access
from storage.models import User


async def sign_in(session: AsyncSession, token: str, *, actor_of: Callable[[User], str],
                  now: datetime) -> str | None:
    """A link spent: the new session's id, or None for a link used, expired or made up
    (audited as refused, naming nobody)."""
    user = await web_access.redeem(session, token, now)
    if user is None:
        await audit.append(session, at=now, actor="web", action="web.sign_in", entity="user",
                           entity_id=None, channel="web", outcome="refused")
        return None
    sid = await web_access.open_session(session, user.id, now)
    await audit.append(session, at=now, actor=actor_of(user), action="web.sign_in",
                       entity="user", entity_id=user.id, channel="web")
    return sid


async def sign_in_link(session: AsyncSession, user: User, base_url: str, *, actor: str,
                       channel: str, now: datetime) -> str:
    token = await web_access.make_link(session, user.id, now)
    await audit.append(session, at=now, actor=actor, action="web.link", entity="user",
                       entity_id=user.id, channel=channel)
    return f"{base_url.rstrip('/')}/login?token={token}"
