"""A customer's invite link, made and revoked the same way from every door (chat, CLI):
256 random bits kept only as a hash, valid for a set time, each use case audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, invites
from storage.models import Invite, User


async def invite(session: AsyncSession, *, customer_id: int, flow_id: str, by: User | None,
                 actor: str, channel: str, now: datetime,
                 valid_for: timedelta) -> tuple[Invite, str]:
    """A new invite for the customer to answer `flow_id`; the rep `by` hears when they
    finish (none: made on the command line). Returns it and its token (shown once)."""
    created, token = await invites.create(session, customer_id=customer_id, flow_id=flow_id,
                                          created_by=None if by is None else by.id, now=now,
                                          valid_for=valid_for)
    await audit.append(session, at=now, actor=actor, action="invite.create", entity="invite",
                       entity_id=created.id, channel=channel)
    return created, token


async def revoke(session: AsyncSession, customer_id: int, *, actor: str, channel: str,
                 now: datetime) -> int:
    """Every open invite of the customer revoked; how many."""
    revoked = await invites.revoke_open(session, customer_id, now)
    await audit.append(session, at=now, actor=actor, action="invite.revoke",
                       entity="customer", entity_id=customer_id, channel=channel)
    return revoked
