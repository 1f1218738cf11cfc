"""A one-time link that signs a person in to the web dashboard (valid 10 minutes, usable
once), made the same way from the bot (/dashboard) and the command line (`web link`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, web_access
from storage.models import User


async def sign_in_link(session: AsyncSession, user: User, base_url: str, *, actor: str,
                       channel: str, now: datetime) -> str:
    token = await web_access.make_link(session, user.id, now)
    await audit.append(session, at=now, actor=actor, action="web.link", entity="user",
                       entity_id=user.id, channel=channel)
    return f"{base_url.rstrip('/')}/login?token={token}"
