"""Invite links: 256 random bits, stored only as a SHA-256 hash, bound on first use."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Interview, Invite

TOKEN_BYTES = 32  # base64url: 43 characters, within Telegram's 64-character start payload


def token_hash(token: str) -> str:
    """How a secret handed out (an invite token, a browser's cookie, a sign-in link, a
    session id) is kept: only its SHA-256."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def create(session: AsyncSession, *, customer_id: int, flow_id: str, created_by: int | None,
                 now: datetime, valid_for: timedelta) -> tuple[Invite, str]:
    """A new invite and its token (shown once; only the hash is stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invite = Invite(token_hash=token_hash(token), customer_id=customer_id, flow_id=flow_id,
                    created_by=created_by, created_at=now, expires_at=now + valid_for)
    session.add(invite)
    await session.flush()
    return invite, token


async def find(session: AsyncSession, token: str) -> Invite | None:
    if not 20 <= len(token) <= 64:
        return None
    return await session.scalar(select(Invite).where(Invite.token_hash == token_hash(token))
                                .with_for_update())


async def get(session: AsyncSession, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)


async def answered_by(session: AsyncSession, respondent_key: str,
                      telegram_id: int) -> Invite | None:
    """The invite of the chat account's unfinished questionnaire touched last."""
    return (await session.execute(
        select(Invite).join(Interview, Interview.id == Invite.interview_id)
        .where(Interview.respondent_key == respondent_key, Interview.status == "active",
               Invite.telegram_id == telegram_id)
        .order_by(Interview.updated_at.desc()).limit(1))).scalars().first()


async def of_interview(session: AsyncSession, interview_id: int) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.interview_id == interview_id))


async def revoke_open(session: AsyncSession, customer_id: int, now: datetime) -> int:
    """Revoke every invite of a customer that has not expired; returns how many."""
    open_ones = (await session.scalars(select(Invite).where(
        Invite.customer_id == customer_id, Invite.revoked_at.is_(None),
        Invite.expires_at > now))).all()
    for invite in open_ones:
        invite.revoked_at = now
    return len(open_ones)


def usable_by(invite: Invite, telegram_id: int, now: datetime) -> bool:
    """Not revoked, not expired, not opened on the web, and unbound or bound to this person."""
    return (invite.revoked_at is None and invite.expires_at > now and invite.browser_hash is None
            and invite.telegram_id in (None, telegram_id))


def usable_in_browser(invite: Invite, key: str | None, now: datetime,
                      open_until: datetime | None = None) -> bool:
    """Not revoked, not expired (or still open for the corrections of a finished
    questionnaire: `open_until`), not opened in Telegram, and unbound or bound to this
    browser (its cookie `key`)."""
    expires = max(invite.expires_at, open_until) if open_until else invite.expires_at
    return (invite.revoked_at is None and expires > now and invite.telegram_id is None
            and (invite.browser_hash is None
                 or (key is not None and invite.browser_hash == token_hash(key))))
