"""A page of the dashboard seen: every view of personal data is in the audit log, as /card
is (a refused one too), under the viewer's name as the bot writes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, audit
from storage.models import User


def actor(user: User) -> str:
    """The signed-in person as the audit log names them (as the bot does)."""
    return accounts.actor_of(user)


async def viewed(session: AsyncSession, user: User, now: datetime, page: str,
                  customer_id: int | None = None, outcome: str = "ok") -> None:
    """Every page view of personal data is in the audit log, as /card is (a refused one
    too)."""
    await audit.append(session, at=now, actor=actor(user),
                       action="card.read" if customer_id else "web.read",
                       entity="customer" if customer_id else "page",
                       entity_id=customer_id if customer_id else page, channel="web",
                       outcome=outcome)
