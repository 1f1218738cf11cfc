"""Customers' consent: every decision is a row; the newest one counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent


async def latest(session: AsyncSession, telegram_id: int, customer_id: int) -> str | None:
    """"accepted", "declined", "withdrawn" or None (never asked)."""
    return await session.scalar(
        select(Consent.decision).where(Consent.telegram_id == telegram_id,
                                       Consent.customer_id == customer_id)
        .order_by(Consent.id.desc()).limit(1))


async def latest_of(session: AsyncSession, telegram_ids: Iterable[int]
                    ) -> dict[tuple[int, int], str]:
    """The newest decision per (telegram id, customer id) of these people, one query."""
    ids = set(telegram_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Consent.telegram_id, Consent.customer_id, Consent.decision)
        .where(Consent.telegram_id.in_(ids)).order_by(Consent.id))
    return {(tid, cid): decision for tid, cid, decision in rows}


async def record(session: AsyncSession, *, telegram_id: int, customer_id: int,
                 invite_id: int | None, version: str, decision: str, now: datetime) -> None:
    session.add(Consent(telegram_id=telegram_id, customer_id=customer_id, invite_id=invite_id,
                        text_version=version, decision=decision, decided_at=now))
