"""The team pool (公海), for every door: what is in a team's pool, claiming from it (within
the holding limit; of two claims at once one wins), a manager giving a pool customer to a
rep, and key accounts exempt from release. Each change is audited. The release itself is
the scheduler's (scheduler.pool)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.i18n import either
from flows.pool_rules import PoolRules
from services import customer_search
from services.access import team_ids
from services.follow_up_planner import FollowUpPlanner
from storage import affected, audit, customers
from storage.models import AuditEntry, Customer, User

MAX_LISTED = 50
GRADES = ("A", "B", "C", "D", "E")


class PoolError(ValueError):
    """A claim or request refused; the message says why, in the person's language."""


@dataclass(frozen=True)
class PoolEntry:
    id: int
    name: str
    grade: str | None
    released_at: datetime
    released_from: str  # the former owner's name


async def pool_team(session: AsyncSession, user: User) -> set[int] | None:
    """Whose former customers this person's pool holds: a rep's team (their manager and
    everyone under them), a manager's own team, everything for an admin (None)."""
    if user.role == "admin":
        return None
    if user.role == "manager":
        return await team_ids(session, user)
    manager = await session.get(User, user.manager_id) if user.manager_id else None
    return await team_ids(session, manager) if manager is not None else {user.id}


def _in_pool(team: set[int] | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        Customer.owner_id.is_(None), Customer.released_at.is_not(None),
        Customer.closed_at.is_(None)]
    if team is not None:
        where.append(Customer.released_from.in_(team))
    return where


async def listing(session: AsyncSession, user: User | None, *, grade: str = "",
                  query: str = "", lang: str = "zh") -> tuple[list[PoolEntry], int]:
    """The pool this person may claim from (every team's for None: the command line),
    longest there first (at most MAX_LISTED), and how many it holds in all."""
    if grade and grade not in GRADES:
        raise PoolError(either(lang, f"等级应为 {'、'.join(GRADES)} 之一，而不是“{grade}”",
                             f"grade: one of {', '.join(GRADES)}, not {grade!r}"))
    where = _in_pool(None if user is None else await pool_team(session, user))
    if grade:
        where.append(Customer.grade == grade)
    if query.strip():
        where.append(Customer.id.in_([c.id for c in await customer_search.search(
            session, query[:100])]))
    total = await session.scalar(select(func.count()).select_from(Customer).where(*where))
    rows = await session.execute(
        select(Customer.id, Customer.name, Customer.grade, Customer.released_at, User.name)
        .outerjoin(User, User.id == Customer.released_from).where(*where)
        .order_by(Customer.released_at, Customer.id).limit(MAX_LISTED))
    return ([PoolEntry(cid, name, g, at, who or "—") for cid, name, g, at, who in rows
             if at is not None],
            int(total or 0))


async def holding(session: AsyncSession, user_id: int, grade: str | None = None) -> int:
    """How many open customers this person owns (of one grade, when given)."""
    query = select(func.count()).select_from(Customer).where(
        Customer.owner_id == user_id, Customer.closed_at.is_(None))
    if grade is not None:
        query = query.where(Customer.grade == grade)
    return int(await session.scalar(query) or 0)


async def _within_limit(session: AsyncSession, rules: PoolRules, user: User,
                        customer: Customer, lang: str) -> None:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # one claim at a time per person: two at once must not both pass the count
        await session.execute(select(User.id).where(User.id == user.id).with_for_update())
    held = await holding(session, user.id)
    if held >= rules.holding_limit:
        raise PoolError(either(
            lang, f"{user.name} 已负责 {held} 家客户，达到上限 {rules.holding_limit} 家，"
                  "无法再认领。请先跟进或关闭现有客户。",
            f"{user.name} already owns {held} customers, the limit of {rules.holding_limit}: "
            "no more claims until some are worked on or closed."))
    limit = rules.holding_limit_by_grade.get(customer.grade or "")
    if limit is not None and (by_grade := await holding(session, user.id, customer.grade)) \
            >= limit:
        raise PoolError(either(
            lang, f"{user.name} 已负责 {by_grade} 家 {customer.grade} 级客户，达到该等级上限 "
                  f"{limit} 家。",
            f"{user.name} already owns {by_grade} grade {customer.grade} customers, the "
            f"limit of {limit} for that grade."))


async def claim(session: AsyncSession, user: User, customer: Customer, *, rules: PoolRules,
                planner: FollowUpPlanner | None, actor: str, channel: str, now: datetime,
                lang: str = "zh", by: User | None = None) -> Customer:
    """`user` becomes the owner of a pool customer (their own claim, or a manager `by`
    giving it to them). Of two claims at once, the first wins; the other is told who."""
    team = await pool_team(session, by or user)
    if (customer.owner_id is not None or customer.released_at is None
            or (team is not None and customer.released_from not in team)):
        owner = await customers.owner_of(session, customer)
        raise PoolError(either(lang, f"{customer.name} 不在你的团队公海中"
                                   + (f"（负责人：{owner.name}）。" if owner else "。"),
                             f"{customer.name} is not in your team's pool"
                             + (f" (its owner: {owner.name})." if owner else ".")))
    await _within_limit(session, rules, user, customer, lang)
    won = await session.execute(
        update(Customer).where(Customer.id == customer.id, Customer.owner_id.is_(None),
                               Customer.released_at.is_not(None))
        .values(owner_id=user.id, released_at=None, worked_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    if affected.rows(won) != 1:
        await session.refresh(customer)
        owner = await customers.owner_of(session, customer)
        who = owner.name if owner else None
        raise PoolError(either(lang, f"{customer.name} 刚刚已被 {who or '他人'} 认领。",
                             f"{customer.name} was just claimed by {who or 'someone else'}."))
    await session.refresh(customer)
    await audit.append(session, at=now, actor=actor, action="customer.claim",
                       entity="customer", entity_id=customer.id, channel=channel,
                       fields=[f"to:user:{user.id}"])
    if planner is not None:
        await planner.set_revisit(session, customer, now)
    return customer


async def find_in_pool(session: AsyncSession, user: User, name: str) -> list[Customer]:
    """The pool customers a typed name means (as the bot finds customers), for this person."""
    team = await pool_team(session, user)
    return [c for c in await customer_search.search(session, name)
            if c.owner_id is None and c.released_at is not None and c.closed_at is None
            and (team is None or c.released_from in team)]


async def exempt(session: AsyncSession, customer: Customer, on: bool, *, actor: str,
                 channel: str, now: datetime) -> None:
    """A key account never goes back to the pool (or, `on=False`, may again)."""
    customer.pool_exempt, customer.updated_at = on, now
    await audit.append(session, at=now, actor=actor,
                       action="customer.exempt" if on else "customer.unexempt",
                       entity="customer", entity_id=customer.id, channel=channel)


@dataclass(frozen=True)
class PoolView:
    """The dashboard's pool page: its size and age, releases and claims a week, and each
    rep's holding against the limit."""

    size: int
    oldest_days: int
    weeks: list[tuple[date, int, int]]  # week's first day, released, claimed
    holding: list[tuple[str, int, int]]  # rep, customers owned, limit


async def pool_view(session: AsyncSession, viewer: User, rules: PoolRules, now: datetime,
                    week_starts: list[date]) -> PoolView:
    team = await pool_team(session, viewer)
    where = _in_pool(team)
    size, oldest = (await session.execute(select(func.count(), func.min(Customer.released_at))
                                          .where(*where))).one()
    since = now - timedelta(days=7 * len(week_starts))
    counts = {start: [0, 0] for start in week_starts}
    for at, action, fields in await session.execute(
            select(AuditEntry.at, AuditEntry.action, AuditEntry.fields).where(
                AuditEntry.action.in_(("customer.release", "customer.claim")),
                AuditEntry.at >= since)):
        person = next((f.rsplit(":", 1)[1] for f in fields or () if f.startswith(
            ("from:user:", "to:user:"))), "")
        if team is not None and (not person.isdecimal() or int(person) not in team):
            continue
        week = max((s for s in week_starts if s <= at.date()), default=week_starts[0])
        counts[week][0 if action == "customer.release" else 1] += 1
    reps = list(await session.scalars(select(User).where(
        User.role == "rep", User.active.is_(True),
        *(() if team is None else (User.id.in_(team),))).order_by(User.name)))
    held = dict((await session.execute(
        select(Customer.owner_id, func.count()).where(
            Customer.owner_id.in_([u.id for u in reps]), Customer.closed_at.is_(None))
        .group_by(Customer.owner_id))).all())
    return PoolView(int(size or 0), (now - oldest).days if oldest else 0,
                    [(s, r, c) for s, (r, c) in counts.items()],
                    [(u.name, int(held.get(u.id, 0)), rules.holding_limit) for u in reps])
