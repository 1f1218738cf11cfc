"""The invites of a period, with what became of each: opened where, the consent decision,
the interview's state. Three queries for any number of invites; the questionnaire funnel
(`services.questionnaire_funnel`) counts from these rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Consent, Customer, Interview, Invite
from storage.reporting import Owners, chunks, scoped


@dataclass(frozen=True, slots=True)
class InviteRow:
    invite_id: int
    flow_id: str
    sent_at: datetime
    sent_from: str  # where the rep made the invite: telegram | feishu | dingtalk | cli | other
    opened_in: str | None  # telegram | web; None: not opened
    decision: str | None  # the consent's latest decision: accepted | declined | withdrawn
    status: str | None  # the interview's: active | completed | cancelled; None: not begun
    state: dict[str, Any] | None
    started_at: datetime | None
    completed_at: datetime | None


async def invites_since(session: AsyncSession, owners: Owners, since: datetime | None
                        ) -> list[InviteRow]:
    query = scoped(select(Invite, Interview).join(Customer, Customer.id == Invite.customer_id)
                    .outerjoin(Interview, Interview.id == Invite.interview_id)
                    .order_by(Invite.id), owners)
    if since is not None:
        query = query.where(Invite.created_at >= since)
    pairs = (await session.execute(query)).all()
    ids = [invite.id for invite, _ in pairs]
    decisions: dict[int, str] = {}
    made_in: dict[int, str] = {}
    for chunk in chunks(ids):
        for invite_id, decision in await session.execute(
                select(Consent.invite_id, Consent.decision)
                .where(Consent.invite_id.in_(chunk)).order_by(Consent.decided_at, Consent.id)):
            if invite_id is not None:
                decisions[invite_id] = decision  # the latest wins
        for entity_id, channel in await session.execute(
                select(AuditEntry.entity_id, AuditEntry.channel).where(
                    AuditEntry.action == "invite.create", AuditEntry.entity == "invite",
                    AuditEntry.entity_id.in_([str(i) for i in chunk]))):
            if entity_id is not None:
                made_in[int(entity_id)] = _made_in(channel)
    return [InviteRow(
        invite.id, invite.flow_id, invite.created_at, made_in.get(invite.id, "other"),
        "telegram" if invite.telegram_id is not None else (
            "web" if invite.browser_hash is not None else None),
        decisions.get(invite.id),
        None if interview is None else interview.status,
        None if interview is None else interview.state,
        None if interview is None else interview.started_at,
        None if interview is None else interview.completed_at) for invite, interview in pairs]


def _made_in(channel: str) -> str:
    """The audit entry's channel (a Feishu rep's is "feishu", a DingTalk rep's "dingtalk")."""
    return channel if channel in ("telegram", "feishu", "dingtalk", "cli") else "other"
