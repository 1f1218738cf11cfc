"""Two reps chasing one customer (撞单): a rep who names a customer that is already someone
else's is told whose it is and chooses — ask the owner to share it (co-owner), ask their
manager, or go on as a different company with a reason. Each choice is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows.i18n import either
from services.interview_service import InterviewService, Respondent
from storage import audit, co_owners, customers, reminders
from storage.models import Customer, Note, User

MIN_REASON = 4


class DuplicateError(ValueError):
    """A choice that cannot be carried out; the message says why."""


async def ask_owner(session: AsyncSession, requester: User, customer: Customer, *,
                    actor: str, channel: str, now: datetime, lang: str) -> User:
    """The owner is asked to share the customer (a button makes the requester a co-owner);
    returns the owner."""
    owner = await customers.owner_of(session, customer)
    if owner is None or not owner.active:
        raise DuplicateError(either(lang, "这个客户目前没有负责人，请联系主管。",
                                  "Nobody owns this customer now: ask your manager."))
    await reminders.schedule(
        session, kind="share_request", due_at=now, now=now, customer_id=customer.id,
        recipient_id=owner.id, dedupe_key=f"share_request:{customer.id}:{requester.id}",
        payload={"requester_id": requester.id, "requester": requester.name,
                 "customer_id": customer.id})
    await audit.append(session, at=now, actor=actor, action="customer.share_request",
                       entity="customer", entity_id=customer.id, channel=channel,
                       fields=[f"owner:user:{owner.id}"])
    return owner


async def ask_manager(session: AsyncSession, requester: User, customer: Customer, *,
                      actor: str, channel: str, now: datetime, lang: str) -> User:
    """The requester's manager hears of it (they can add a co-owner or hand it over)."""
    manager = await session.get(User, requester.manager_id) if requester.manager_id else None
    if manager is None or not manager.active:
        raise DuplicateError(either(lang, "你还没有主管：请让管理员设置"
                                        "（users set-role --manager-id）。",
                                  "You have no manager: an admin sets one (users set-role "
                                  "--manager-id)."))
    owner = await customers.owner_of(session, customer)
    await reminders.schedule(
        session, kind="duplicate_manager", due_at=now, now=now, customer_id=customer.id,
        recipient_id=manager.id,
        dedupe_key=f"duplicate_manager:{customer.id}:{requester.id}",
        payload={"requester": requester.name, "owner": owner.name if owner else "—"})
    await audit.append(session, at=now, actor=actor, action="customer.duplicate_ask",
                       entity="customer", entity_id=customer.id, channel=channel,
                       fields=[f"manager:user:{manager.id}"])
    return manager


async def create_anyway(session: AsyncSession, service: InterviewService, name: str,
                        requester: User, respondent: Respondent, looks_like: Customer,
                        reason: str, *, now: datetime, lang: str) -> Customer:
    """A new customer after all, the rep's reason kept on it (a note, encrypted) and the
    decision in the audit trail beside the record it looked like."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise DuplicateError(either(
            lang, f"请用至少 {MIN_REASON} 个字说明为什么这是另一家公司"
                  "（例如统一社会信用代码不同）。",
            f"Say in at least {MIN_REASON} characters why it is a different company (e.g. "
            "another registration number)."))
    customer = await service.create_customer(session, name, respondent, owner_id=requester.id)
    session.add(Note(customer_id=customer.id, author_id=requester.id, created_at=now,
                     text=either(lang, f"与 {looks_like.name}（#{looks_like.id}）不是同一家公司：",
                               f"Not the same company as {looks_like.name} "
                               f"(#{looks_like.id}): ") + reason[:1000]))
    await audit.append(session, at=now, actor=respondent.actor,
                       action="customer.create_anyway", entity="customer",
                       entity_id=customer.id, channel=respondent.channel,
                       fields=[f"looks_like:#{looks_like.id}"])
    return customer


async def share(session: AsyncSession, owner: User, customer_id: int, requester_id: int, *,
                actor: str, channel: str, now: datetime) -> tuple[Customer, User] | None:
    """The owner agrees: the requester becomes a co-owner. None when that no longer holds
    (it is not theirs any more, the requester left)."""
    customer = await session.get(Customer, customer_id)
    requester = await session.get(User, requester_id)
    if (customer is None or requester is None or not requester.active
            or customer.owner_id != owner.id):
        return None
    if await co_owners.add(session, customer.id, requester.id, actor, now):
        await audit.append(session, at=now, actor=actor, action="customer.co_owner",
                           entity="customer", entity_id=customer.id, channel=channel,
                           fields=[f"user:{requester.id}"])
    return customer, requester


async def tell_requester(session: AsyncSession, owner: User, customer: Customer,
                         requester: User, now: datetime) -> None:
    await reminders.schedule(
        session, kind="shared", due_at=now, now=now, customer_id=customer.id,
        recipient_id=requester.id, dedupe_key=f"shared:{customer.id}:{requester.id}",
        payload={"owner": owner.name})
