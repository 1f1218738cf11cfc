"""Customers' consent: every decision is a row; the newest one counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.among import among
from storage.models import Consent


def _standing(decision: str, seen: str, version: str) -> str:
    """An agreement to an older notice no longer stands: "outdated" (ask again)."""
    return "outdated" if decision == "accepted" and seen != version else decision


async def latest(session: AsyncSession, telegram_id: int, customer_id: int,
                 version: str) -> str | None:
    """"accepted" (the notice of `version`), "outdated" (an older notice), "declined",
    "withdrawn" or None (never asked)."""
    row = (await session.execute(
        select(Consent.decision, Consent.text_version).where(
            Consent.telegram_id == telegram_id, Consent.customer_id == customer_id)
        .order_by(Consent.id.desc()).limit(1))).first()
    return None if row is None else _standing(row[0], row[1], version)


async def latest_of(session: AsyncSession, telegram_ids: Iterable[int], version: str
                    ) -> dict[tuple[int, int], str]:
    """The newest decision per (telegram id, customer id) of these people, one query."""
    ids = set(telegram_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Consent.telegram_id, Consent.customer_id, Consent.decision, Consent.text_version)
        .where(among(session, Consent.telegram_id, ids)).order_by(Consent.id))
    return {(tid, cid): _standing(decision, seen, version)
            for tid, cid, decision, seen in rows if tid is not None}


async def record(session: AsyncSession, *, telegram_id: int | None, customer_id: int,
                 invite_id: int | None, version: str, decision: str, now: datetime) -> None:
    session.add(Consent(telegram_id=telegram_id, customer_id=customer_id, invite_id=invite_id,
                        text_version=version, decision=decision, decided_at=now))


async def customers_of(session: AsyncSession, telegram_id: int) -> set[int]:
    """Every customer this chat account decided consent for."""
    return set(await session.scalars(
        select(Consent.customer_id).where(Consent.telegram_id == telegram_id)))


async def latest_for_invite(session: AsyncSession, invite_id: int, version: str) -> str | None:
    """The newest decision given on an invite's web page (no Telegram id there)."""
    row = (await session.execute(
        select(Consent.decision, Consent.text_version).where(
            Consent.invite_id == invite_id, Consent.telegram_id.is_(None))
        .order_by(Consent.id.desc()).limit(1))).first()
    return None if row is None else _standing(row[0], row[1], version)
