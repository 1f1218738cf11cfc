"""What the dashboard's pages show, read for one viewer's scope (the same scope rules as the
bot: `storage.reporting.visible_owner_ids`, co-owners included). Channel-neutral: plain
data for a template, one query per table and never one per row."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.card_fields import stage_label
from flows.deal_warnings import KINDS
from flows.i18n import pick
from flows.model import Flow
from flows.quality import STAGES, spin_coverage
from services import customer_search
from services.exporting import card_values, choice_labels, header_text, label_of
from services.reports import card_quality, quality_lines, shown_answer
from storage import co_owners, deal_facts, reporting
from storage.models import (
    Answer,
    Consent,
    Contact,
    Customer,
    Interview,
    Note,
    Reminder,
    User,
)
from storage.reporting import Owners

PAGE = 200  # customers listed at once (the count says how many matched)


def _in_scope(owners: Owners) -> Any:
    if owners is None:
        return True
    return or_(Customer.owner_id.in_(owners), Customer.id.in_(co_owners.co_owned_by(owners)))


# ------------------------------------------------------------------ the team today
@dataclass
class RepToday:
    user_id: int
    name: str
    overdue: list[tuple[int, str, int]] = field(default_factory=list)  # id, name, days late
    due_week: Counter[str] = field(default_factory=Counter)  # reminder kind -> count
    open_interviews: list[tuple[int, str, str, date]] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)  # open deal warnings by kind


@dataclass
class TeamToday:
    reps: list[RepToday]
    refusals: list[tuple[int, str, str, date]]  # customer id, name, decision, day


async def team_today(session: AsyncSession, owners: Owners, now: datetime, today: date,
                     flows: dict[str, Flow], lang: str) -> TeamToday:
    people = await reporting.staff(session, owners)
    reps = {u.id: RepToday(u.id, u.name) for u in people}
    late = await session.execute(
        select(Customer.id, Customer.name, Customer.owner_id, Customer.revisit_due_on)
        .where(Customer.revisit_due_on < today, Customer.closed_at.is_(None),
               _in_scope(owners)).order_by(Customer.revisit_due_on).limit(2000))
    for cid, name, owner, due_on in late:
        if owner is not None and owner in reps and due_on is not None:
            reps[owner].overdue.append((cid, name, (today - due_on).days))
    week = await session.execute(
        select(Reminder.recipient_id, Reminder.kind, func.count())
        .where(Reminder.status.in_(("pending", "sent")), Reminder.due_at < now + timedelta(days=7),
               Reminder.recipient_id.in_(list(reps)))
        .group_by(Reminder.recipient_id, Reminder.kind))
    for recipient, kind, count in week:
        if recipient is not None:
            reps[recipient].due_week[kind] += count
    active = await session.execute(
        select(func.coalesce(Interview.respondent_user_id, Customer.owner_id),
               Interview.customer_id, Customer.name, Interview.flow_id, Interview.updated_at)
        .join(Customer, Customer.id == Interview.customer_id)
        .where(Interview.status == "active", _in_scope(owners)).limit(2000))
    for respondent, cid, name, flow_id, updated in active:
        if respondent is not None and respondent in reps:
            flow = flows.get(flow_id)
            title = pick(flow.title, lang) if flow else flow_id
            reps[respondent].open_interviews.append((cid, name, title, updated.date()))
    for (owner, kind), count in (await deal_facts.open_counts(session, list(reps))).items():
        if owner in reps:
            reps[owner].warnings[kind] += count
    newest = (select(Consent.customer_id, Consent.telegram_id, func.max(Consent.id).label("id"))
              .group_by(Consent.customer_id, Consent.telegram_id).subquery())
    refused = await session.execute(
        select(Customer.id, Customer.name, Consent.decision, Consent.decided_at)
        .join(newest, newest.c.id == Consent.id)
        .join(Customer, Customer.id == Consent.customer_id)
        .where(Consent.decision.in_(("declined", "withdrawn")), _in_scope(owners))
        .order_by(Consent.decided_at.desc()).limit(200))
    roles = {u.id: u.role for u in people}
    shown = [r for r in reps.values()  # a manager is listed only for work of their own
             if roles.get(r.user_id) == "rep" or r.overdue or r.due_week or r.open_interviews
             or r.warnings]
    return TeamToday(sorted(shown, key=lambda r: (-len(r.overdue), r.name)),
                     [(cid, name, decision, at.date()) for cid, name, decision, at in refused])


# ------------------------------------------------------------------ customers
@dataclass
class CustomerRow:
    id: int
    name: str
    grade: str | None
    priority: str | None
    owner: str
    last_contact: date | None
    revisit_due_on: date | None
    overdue_days: int
    warnings: list[str] = field(default_factory=list)  # open deal warnings' kinds


@dataclass
class CustomerList:
    rows: list[CustomerRow]
    total: int
    owners: list[tuple[int, str]]  # the owners one may filter by


async def customer_list(session: AsyncSession, owners: Owners, today: date, *, query: str = "",
                        grade: str = "", priority: str = "", owner: int | None = None,
                        overdue: bool = False, warning: str = "") -> CustomerList:
    where = [_in_scope(owners)]
    if query.strip():
        found = [c.id for c in await customer_search.search(session, query)]
        where.append(Customer.id.in_(found))
    if grade in ("A", "B", "C", "D", "E"):
        where.append(Customer.grade == grade)
    elif grade == "-":
        where.append(Customer.grade.is_(None))
    if priority in ("high", "medium", "low"):
        where.append(Customer.priority == priority)
    if owner is not None:
        where.append(or_(Customer.owner_id == owner,
                         Customer.id.in_(co_owners.co_owned_by([owner]))))
    if overdue:
        where += [Customer.revisit_due_on < today, Customer.closed_at.is_(None)]
    if warning == "any" or warning in KINDS:
        where.append(Customer.id.in_(deal_facts.customers_with_warnings(
            None if warning == "any" else warning)))
    total = await session.scalar(select(func.count()).select_from(Customer).where(*where)) or 0
    rows = await session.execute(
        select(Customer.id, Customer.name, Customer.grade, Customer.priority, User.name,
               Customer.last_contact_at, Customer.revisit_due_on)
        .outerjoin(User, User.id == Customer.owner_id).where(*where)
        .order_by(Customer.name, Customer.id).limit(PAGE))
    people = await reporting.staff(session, owners)
    shown = [CustomerRow(cid, name, g, p, who or "—", last.date() if last else None, due,
                         max((today - due).days, 0) if due else 0)
             for cid, name, g, p, who, last, due in rows]
    at_risk = await deal_facts.open_by_customer(session, [row.id for row in shown])
    for row in shown:
        row.warnings = [w.kind for w in at_risk.get(row.id, [])]
    return CustomerList(shown, total, [(u.id, u.name) for u in people])


# ------------------------------------------------------------------ one customer
@dataclass
class InterviewView:
    id: int
    flow: str
    status: str
    started: datetime
    completed: datetime | None
    by: str
    stages: list[tuple[str, list[tuple[str, str]]]]  # stage label -> (question, answer)


@dataclass
class CustomerView:
    customer: Customer
    owner: str
    co_owners: list[str]
    fields: list[tuple[str, str]]
    contacts: list[list[str]]
    quality: list[str]
    completeness: int
    notes: list[tuple[datetime, str]]
    reminders: list[tuple[str, datetime, str, str]]  # kind, due, status, whom
    interviews: list[InterviewView]


async def customer_view(session: AsyncSession, customer: Customer, flows: dict[str, Flow],
                        lang: str) -> CustomerView:
    labels = choice_labels(flows, lang)
    fields = card_values(customer, labels, lang)
    contacts = []
    for contact in await session.scalars(select(Contact).where(
            Contact.customer_id == customer.id).order_by(Contact.id)):
        role = label_of(labels, "contact.decision_role", contact.decision_role)
        contacts.append([str(p) for p in (contact.name, contact.title, contact.department,
                                          role, contact.phone, contact.email,
                                          contact.messenger_id) if p])
    quality = (await card_quality(session, flows, [customer], lang))[customer.id]
    people = await reporting.users_by_id(session, [customer.owner_id])
    owner = people[customer.owner_id].name if customer.owner_id in people else "—"
    notes = [(n.created_at, n.text) for n in await session.scalars(
        select(Note).where(Note.customer_id == customer.id).order_by(Note.id.desc()).limit(50))]
    due = list(await session.scalars(select(Reminder).where(
        Reminder.customer_id == customer.id).order_by(Reminder.due_at.desc()).limit(50)))
    whom = await reporting.users_by_id(session, [r.recipient_id for r in due])
    reminders = [(r.kind, r.due_at, r.status,
                  whom[r.recipient_id].name if r.recipient_id in whom else "—") for r in due]
    interviews = await _interview_views(session, customer, flows, lang)
    # the chat's lines, without their leading pictograph (a browser may lack an emoji font)
    lines = [re.sub(r"^[^\w]+", "", line) for line in quality_lines(quality, lang)]
    return CustomerView(customer, owner,
                        [u.name for u in await co_owners.of_customer(session, customer.id)],
                        fields, contacts, lines,
                        quality.completeness.percent, notes, reminders, interviews)


async def _interview_views(session: AsyncSession, customer: Customer, flows: dict[str, Flow],
                           lang: str) -> list[InterviewView]:
    """The customer's latest 30 interviews, each's answers by SPIN stage, as people read
    them (a question naming an earlier answer reads with the one this interview gave)."""
    rows = list(await session.scalars(select(Interview).where(
        Interview.customer_id == customer.id).order_by(Interview.started_at.desc()).limit(30)))
    answers: dict[int, list[Answer]] = defaultdict(list)
    for answer in await session.scalars(select(Answer).where(
            Answer.interview_id.in_([i.id for i in rows]), Answer.superseded_at.is_(None))
            .order_by(Answer.id)):
        answers[answer.interview_id].append(answer)
    staff = await reporting.users_by_id(session, [i.respondent_user_id for i in rows])
    views = []
    for interview in rows:
        flow = flows.get(interview.flow_id)
        by_stage: dict[str, list[tuple[str, str]]] = {s: [] for s in STAGES}
        given = {a.question_id: shown_answer(flows, interview.flow_id, a, lang)
                 for a in answers[interview.id] if a.value is not None}
        for answer in answers[interview.id]:
            if answer.value is None or flow is None:
                continue
            try:  # "{met_name}'s role" reads with the name this interview was given
                question = header_text(flow, answer.question_id, lang, given)
            except KeyError:
                question = answer.question_id
            by_stage.setdefault(answer.stage, []).append((question, given[answer.question_id]))
        by = staff[interview.respondent_user_id].name \
            if interview.respondent_user_id in staff else "customer"
        views.append(InterviewView(
            interview.id, pick(flow.title, lang) if flow else interview.flow_id,
            interview.status, interview.started_at, interview.completed_at, by,
            [(stage_label(s, lang), pairs) for s, pairs in by_stage.items() if pairs]))
    return views


# ------------------------------------------------------------------ reps
@dataclass
class RepView:
    user_id: int
    name: str
    debriefs_per_week: list[int]  # oldest first
    coverage: dict[str, float]  # stage -> share of debriefs covering it
    late_follow_ups: int
    late_days: float  # average days past due of those


def week_starts(now: datetime, zone: str, weeks: int = 4) -> list[date]:
    """The first day of each of the weeks `reps_view` counts, oldest first (a week is the
    7 days up to now, then the 7 before…), for the columns' headings."""
    local = now.astimezone(ZoneInfo(zone))
    return [(local - timedelta(days=7 * (weeks - i)) + timedelta(days=1)).date()
            for i in range(weeks)]


async def reps_view(session: AsyncSession, owners: Owners, now: datetime, today: date,
                    weeks: int = 4) -> list[RepView]:
    people = [u for u in await reporting.staff(session, owners) if u.role == "rep"]
    ids = [u.id for u in people]
    since = now - timedelta(weeks=weeks)
    rows = list(await session.execute(
        select(Interview.id, Interview.respondent_user_id, Interview.completed_at)
        .where(Interview.status == "completed", Interview.completed_at >= since,
               Interview.respondent_user_id.in_(ids))))
    stages: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for interview_id, stage, value in await session.execute(
            select(Answer.interview_id, Answer.stage, Answer.value)
            .where(Answer.interview_id.in_([r[0] for r in rows]),
                   Answer.superseded_at.is_(None))):
        stages[interview_id].append((stage, value))
    per_rep: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for interview_id, rep, completed in rows:
        if rep is not None and completed is not None:
            per_rep[rep].append((interview_id, completed))
    late = defaultdict(list)
    for rep, due in await session.execute(
            select(Reminder.recipient_id, Reminder.due_at)
            .where(Reminder.kind == "follow_up", Reminder.status.in_(("pending", "sent")),
                   Reminder.due_at < now, Reminder.recipient_id.in_(ids))):
        late[rep].append((now - due).total_seconds() / 86400)
    views = []
    for user in people:
        weekly = [0] * weeks
        hits = dict.fromkeys(STAGES, 0)
        mine = per_rep.get(user.id, [])
        for interview_id, completed in mine:
            back = int((now - completed).total_seconds() // (7 * 86400))
            if 0 <= back < weeks:
                weekly[weeks - 1 - back] += 1
            for stage in spin_coverage(stages[interview_id]).covered:
                hits[stage] += 1
        days = late.get(user.id, [])
        views.append(RepView(user.id, user.name, weekly,
                             {s: hits[s] / len(mine) if mine else 0.0 for s in STAGES},
                             len(days), round(sum(days) / len(days), 1) if days else 0.0))
    return sorted(views, key=lambda v: v.name)
