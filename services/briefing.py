"""A brief before a call (/brief, `customers brief`): the key facts with when and from
whom, the contacts and their roles, the last interaction and the open reminders, where the
customer and the rep disagree, what is still missing by SPIN stage, and the questions to
ask next (the rules: flows.briefing), and the deal's warnings (flows.deal_warnings).
Reading it is audited (a brief holds personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.briefing import Plan, Record, plan
from flows.deal_warnings import DealWarning
from flows.model import Flow
from flows.quality import CONFLICT_FIELDS, Conflict, completeness, has_content
from services.agenda import KINDS
from services.deal_watch import DealRules, warnings_of
from services.reports import card_conflicts, shown_answer
from storage import audit, customers, reporting
from storage.models import Answer, Contact, Customer, Interview, Note, Reminder, User

# the card fields a brief states, in this order, with when and from whom
KEY_FACTS = ("customer.grade", "customer.industry", "customer.employees", "deal.need_type",
             "deal.need_description", "deal.budget", "deal.timeline", "deal.decision_process",
             "deal.competitors", "deal.next_step", "deal.next_contact")
OPEN_REMINDERS = 5


@dataclass(frozen=True)
class Fact:
    field: str
    shown: str  # in the reader's language
    at: datetime
    by_rep: bool
    who: str | None  # the rep's name, or the contact who answered (None: not named)


@dataclass(frozen=True)
class LastInteraction:
    at: datetime
    flow_id: str | None  # an interview completed, or (None) a note
    who: str | None
    note: str | None = None


@dataclass(frozen=True)
class Brief:
    customer: Customer
    owner: str | None
    facts: list[Fact]
    contacts: list[Contact]
    last: LastInteraction | None
    reminders: list[Reminder]  # open, soonest first
    conflicts: list[Conflict]
    plan: Plan
    warnings: list[DealWarning]


async def read_brief(session: AsyncSession, service: DealRules, customer: Customer,
                     lang: str, *, reader: str, channel: str, now: datetime) -> Brief:
    """The brief under the service's flows and policy (`brief`, `warnings`); the warnings
    as of now, not as the last warnings pass stored them."""
    await audit.append(session, at=now, actor=reader, action="brief.read", entity="customer",
                       entity_id=customer.id, channel=channel)
    flows = dict(service.flows)
    contacts = list(await customers.contacts_of(session, customer.id))
    answered = await _answered(session, customer.id)
    newest = await _newest(session, answered.newest)
    disagree = (await card_conflicts(session, flows, [customer.id], lang)).get(
        customer.id, []) if answered.by_customer else []
    interview, note = await _last_interaction(session, customer.id)
    users = await reporting.users_by_id(
        session, {customer.owner_id, interview[2] if interview else None,
                  note.author_id if note else None} | {user for _, _, user, _ in newest})
    facts = _facts(newest, flows, lang, users, {c.id: c.name for c in contacts if c.name})
    card = reporting.card_values(customer, contacts)
    record = Record(frozenset(f for f, v in card.items() if has_content(v)),
                    frozenset(c.decision_role for c in contacts if c.decision_role),
                    answered.stages, answered.asked)
    owner = users.get(customer.owner_id or 0)
    return Brief(customer, owner.name if owner else None,
                 [facts[f] for f in KEY_FACTS if f in facts], contacts,
                 _last(interview, note, users), await _open_reminders(session, customer.id),
                 disagree,
                 plan(record, flows.values(), completeness(card).missing, service.brief_rules),
                 await warnings_of(session, service, customer, now, len(disagree)))


@dataclass(frozen=True)
class _Answered:
    """A customer's current answers, counted without decrypting them."""

    stages: dict[str, int]  # answers per SPIN stage
    asked: frozenset[tuple[str, str]]  # (flow, question) answered
    newest: list[int]  # the newest answer to each key fact
    by_customer: bool  # a key fact in the customer's own word: conflicts possible


async def _answered(session: AsyncSession, customer_id: int) -> _Answered:
    """One grouped statement: a row per question and respondent, however many debriefs."""
    rows = (await session.execute(
        select(Interview.flow_id, Answer.question_id, Answer.stage, Answer.maps_to,
               Interview.respondent_user_id.is_(None), func.count(), func.max(Answer.id))
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Answer.customer_id == customer_id, Answer.superseded_at.is_(None),
               Answer.value.is_not(None), Interview.status != "cancelled")
        .group_by(Interview.flow_id, Answer.question_id, Answer.stage, Answer.maps_to,
                  Interview.respondent_user_id.is_(None)))).all()
    stages: dict[str, int] = {}
    newest: dict[str, int] = {}
    for _flow, _question, stage, maps_to, _by_customer, count, last in rows:
        stages[stage] = stages.get(stage, 0) + int(count)
        if maps_to in KEY_FACTS:
            newest[maps_to] = max(newest.get(maps_to, 0), int(last))
    return _Answered(stages, frozenset((row[0], row[1]) for row in rows), list(newest.values()),
                     any(row[4] and row[3] in CONFLICT_FIELDS for row in rows))


async def _newest(session: AsyncSession, ids: list[int]) -> list[
        tuple[Answer, str, int | None, int | None]]:
    """These answers in full, with their flow, the rep who gave them, or the contact."""
    if not ids:
        return []
    return [(answer, flow_id, user_id, contact_id) for answer, flow_id, user_id, contact_id in (
        await session.execute(
            select(Answer, Interview.flow_id, Interview.respondent_user_id, Interview.contact_id)
            .join(Interview, Interview.id == Answer.interview_id)
            .where(Answer.id.in_(ids)))).all()]


def _facts(newest: list[tuple[Answer, str, int | None, int | None]], flows: dict[str, Flow],
           lang: str, users: dict[int, User], contacts: dict[int, str]) -> dict[str, Fact]:
    """The newest answer to each key fact, in words, with when and from whom."""
    found = {}
    for answer, flow_id, user_id, contact_id in newest:
        who = users[user_id].name if user_id in users else contacts.get(contact_id or 0)
        found[answer.maps_to or ""] = Fact(answer.maps_to or "",
                                           shown_answer(flows, flow_id, answer, lang),
                                           answer.answered_at, user_id is not None, who)
    return found


Done = tuple[datetime | None, str, int | None]  # completed when, which flow, which rep


async def _last_interaction(session: AsyncSession,
                            customer_id: int) -> tuple[Done | None, Note | None]:
    """The newest completed interview (when, which flow, which rep) and the newest note."""
    row = (await session.execute(
        select(Interview.completed_at, Interview.flow_id, Interview.respondent_user_id)
        .where(Interview.customer_id == customer_id, Interview.status == "completed")
        .order_by(Interview.completed_at.desc()).limit(1))).first()
    note = (await session.scalars(select(Note).where(Note.customer_id == customer_id)
                                  .order_by(Note.id.desc()).limit(1))).first()
    return (row[0], row[1], row[2]) if row is not None else None, note


def _last(interview: Done | None, note: Note | None,
          users: dict[int, User]) -> LastInteraction | None:
    """The later of the two, with who it was."""
    found = []
    if interview is not None and interview[0] is not None:
        user = users.get(interview[2] or 0)
        found.append(LastInteraction(interview[0], interview[1], user.name if user else None))
    if note is not None:
        author = users.get(note.author_id or 0)
        found.append(LastInteraction(note.created_at, None, author.name if author else None,
                                     note.text))
    return max(found, key=lambda last: last.at) if found else None


async def _open_reminders(session: AsyncSession, customer_id: int) -> list[Reminder]:
    return list(await session.scalars(
        select(Reminder).where(Reminder.customer_id == customer_id, Reminder.kind.in_(KINDS),
                               Reminder.status.in_(("pending", "sent")))
        .order_by(Reminder.due_at).limit(OPEN_REMINDERS)))
