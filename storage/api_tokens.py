"""The read API's tokens: made with a random secret of which only the hash is kept, found by
that hash, listed, revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiToken, User

PREFIX = "ibt_"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create(session: AsyncSession, *, user_id: int, name: str, actor: str,
                 expires_at: datetime, now: datetime) -> tuple[ApiToken, str]:
    """The token row and the secret itself (shown once, never stored)."""
    raw = f"{PREFIX}{secrets.token_urlsafe(32)}"
    token = ApiToken(token_hash=digest(raw), name=name, user_id=user_id, created_by=actor,
                     created_at=now, expires_at=expires_at)
    session.add(token)
    await session.flush()
    return token, raw


async def holder(session: AsyncSession, raw: str) -> tuple[ApiToken, User] | None:
    row = (await session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(raw)))).first()
    return None if row is None else (row[0], row[1])


async def listing(session: AsyncSession) -> list[tuple[ApiToken, User]]:
    rows = await session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                                 .order_by(ApiToken.id))
    return [(t, u) for t, u in rows.all()]
