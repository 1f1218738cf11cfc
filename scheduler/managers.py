"""What managers get from the calendar: the daily digest (the team's overdue revisits, open
deal warnings and customers gone back to the team pool), the weekly team report, and
escalations of long-overdue revisits to the manager's manager (or the admins). Each
reminder has a dedupe key, so a pass can run as often as it likes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.planner_port import PlannerPort
from storage import deal_facts, reminders
from storage.models import DigestSent, User


async def digests(planner: PlannerPort, session: AsyncSession, now: datetime) -> None:
    """Each manager's daily digest at the policy's hour: the team's overdue revisits and
    open deal warnings (once per local day, even across restarts and replicas)."""
    for manager in await reminders.managers(session):
        zone = planner.zone(manager)
        local = now.astimezone(zone)
        if local.hour < planner.policy.digest_hour:
            continue
        if await session.get(DigestSent, (manager.id, local.date())) is not None:
            continue
        if not await reminders.claim_digest_day(session, manager.id, local.date(), now):
            continue  # another planner, running at the same moment, has it
        team = await _team(session, manager)
        overdue = await reminders.overdue_customers(session, local.date(), team)
        at_risk = await deal_facts.open_counts(session, team)  # deal warnings, open
        released = await reminders.released_since(session, now - timedelta(days=1), team)
        if not overdue and not at_risk and not released:
            continue
        lines = [{"customer": c.name, "owner_id": c.owner_id,
                  "days": (local.date() - c.revisit_due_on).days}
                 for c in overdue if c.revisit_due_on is not None]
        await reminders.schedule(
            session, kind="digest", dedupe_key=f"digest:{manager.id}:{local.date()}",
            due_at=planner.deliverable(now, manager), now=now, recipient_id=manager.id,
            payload={"lines": lines[:200], "total": len(lines),
                     "warnings": [[owner, kind, n] for (owner, kind), n in at_risk.items()],
                     "released": released[:50], "released_total": len(released)})
        await _escalate(planner, session, manager, overdue, local.date(), now)

async def weekly_reports(planner: PlannerPort, session: AsyncSession, now: datetime) -> None:
    """Each manager's team report, once per ISO week, at the policy's weekday and hour
    (a planner that was down that morning still sends it within the next two days)."""
    for manager in await reminders.managers(session):
        local = now.astimezone(planner.zone(manager))
        days_late = local.isoweekday() - planner.policy.weekly_report_weekday
        if not 0 <= days_late <= 2 or (days_late == 0
                                        and local.hour < planner.policy.weekly_report_hour):
            continue
        year, week, _ = local.isocalendar()
        await reminders.schedule(
            session, kind="weekly_report",
            dedupe_key=f"weekly_report:{manager.id}:{year}-W{week:02d}",
            due_at=planner.deliverable(now, manager), now=now, recipient_id=manager.id,
            payload={"days": 7})

async def _escalate(planner: PlannerPort, session: AsyncSession, manager: User,
                    overdue: list[reminders.Overdue],
                    today: date, now: datetime) -> None:
    limit = planner.policy.escalate_after_days
    late = [c for c in overdue
            if c.revisit_due_on is not None and (today - c.revisit_due_on).days >= limit]
    if not late or manager.role == "admin":
        return
    above = [await session.get(User, manager.manager_id)] if manager.manager_id else [
        u for u in await reminders.managers(session) if u.role == "admin"]
    for boss in (b for b in above if b is not None):
        for customer in late:
            due_on = customer.revisit_due_on
            assert due_on is not None
            await reminders.schedule(
                session, kind="escalation",
                dedupe_key=f"escalation:{customer.id}:{due_on}:{boss.id}",
                due_at=planner.deliverable(now, boss), now=now, customer_id=customer.id,
                recipient_id=boss.id,
                payload={"days": (today - due_on).days, "manager": manager.name})

async def _team(session: AsyncSession, manager: User) -> list[int] | None:
    if manager.role == "admin":
        return None
    members = await session.scalars(select(User.id).where(User.manager_id == manager.id))
    return [manager.id, *members]
