"""Signing in to the dashboard: one-time links (/dashboard, `web link`) and the browser
sessions they open. Tokens and session ids are random; only their hashes are stored."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.invites import token_hash
from storage.models import User, WebLink, WebSession

LINK_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=8)


async def make_link(session: AsyncSession, user_id: int, now: datetime) -> str:
    """A new sign-in token (43 URL-safe characters, 256 bits) for this staff member."""
    token = secrets.token_urlsafe(32)
    session.add(WebLink(token_hash=token_hash(token), user_id=user_id, created_at=now,
                        expires_at=now + LINK_VALID))
    return token


async def redeem(session: AsyncSession, token: str, now: datetime) -> User | None:
    """The active staff member a token signs in, once: a second use, an expired or unknown
    token give None (and say nothing about which)."""
    if not token or len(token) > 100:
        return None
    used = await session.execute(
        update(WebLink).where(WebLink.token_hash == token_hash(token), WebLink.used_at.is_(None),
                              WebLink.expires_at > now)
        .values(used_at=now).returning(WebLink.user_id))
    user_id = used.scalar_one_or_none()
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return user if user is not None and user.active else None


async def open_session(session: AsyncSession, user_id: int, now: datetime) -> str:
    sid = secrets.token_urlsafe(32)
    session.add(WebSession(id_hash=token_hash(sid), user_id=user_id, created_at=now,
                           expires_at=now + SESSION_VALID))
    return sid


async def user_of(session: AsyncSession, sid: str | None, now: datetime) -> User | None:
    if not sid or len(sid) > 100:
        return None
    found = await session.execute(
        select(User).join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id_hash == token_hash(sid), WebSession.expires_at > now,
               User.active.is_(True)))
    return found.scalar_one_or_none()


async def close_session(session: AsyncSession, sid: str | None) -> None:
    if sid:
        await session.execute(delete(WebSession).where(WebSession.id_hash == token_hash(sid)))


async def purge(session: AsyncSession, now: datetime) -> None:
    """Expired links and sessions are of no use to anyone."""
    await session.execute(delete(WebLink).where(WebLink.expires_at < now - LINK_VALID))
    await session.execute(delete(WebSession).where(WebSession.expires_at < now))
