"""A brief before a call (/brief, `customers brief`): the key facts with when and from
whom, the contacts and their roles, the last interaction and the open reminders, where the
customer and the rep disagree, what is still missing by SPIN stage, and the questions to
ask next (the rules: flows.briefing), and the deal's warnings (flows.deal_warnings).
Reading it is audited (a brief holds personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.briefing import Plan, Record, plan
from flows.deal_warnings import DealWarning
from flows.model import Flow
from flows.quality import Conflict, has_content
from services.agenda import KINDS
from services.deal_watch import DealRules, warnings_of
from services.reports import card_quality, shown_answer
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
    quality = (await card_quality(session, flows, [customer], lang))[customer.id]
    # what was answered, without decrypting it: the stages, the questions asked, and the
    # newest answer to each key fact (only those are read in full)
    rows = (await session.execute(
        select(Answer.id, Answer.stage, Answer.question_id, Answer.maps_to, Interview.flow_id,
               Interview.respondent_user_id, Interview.contact_id)
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Answer.customer_id == customer.id, Answer.superseded_at.is_(None),
               Answer.value.is_not(None), Interview.status != "cancelled")
        .order_by(Answer.id))).all()
    stage_answers: dict[str, int] = {}
    newest: dict[str, tuple[int, str, int | None, int | None]] = {}
    for answer_id, stage, _question, maps_to, flow_id, user_id, contact_id in rows:
        stage_answers[stage] = stage_answers.get(stage, 0) + 1
        if maps_to in KEY_FACTS:
            newest[maps_to] = (answer_id, flow_id, user_id, contact_id)
    users = await reporting.users_by_id(
        session, {customer.owner_id} | {user for *_, user, _ in newest.values()})
    facts = await _facts(session, newest, flows, lang, users,
                         {c.id: c.name for c in contacts if c.name})
    card = reporting.card_values(customer, contacts)
    record = Record(frozenset(f for f, v in card.items() if has_content(v)),
                    frozenset(c.decision_role for c in contacts if c.decision_role),
                    stage_answers, frozenset((row[4], row[2]) for row in rows))
    owner = users.get(customer.owner_id or 0)
    last = await _last_interaction(session, customer.id)
    return Brief(customer, owner.name if owner else None,
                 [facts[f] for f in KEY_FACTS if f in facts], contacts, last,
                 await _open_reminders(session, customer.id), quality.conflicts,
                 plan(record, flows.values(), quality.completeness.missing,
                      service.brief_rules),
                 await warnings_of(session, service, customer, now, len(quality.conflicts)))


async def _facts(session: AsyncSession, newest: dict[str, tuple[int, str, int | None, int | None]],
                 flows: dict[str, Flow], lang: str, users: dict[int, User],
                 contacts: dict[int, str]) -> dict[str, Fact]:
    """The newest answer to each key fact, in words, with when and from whom."""
    if not newest:
        return {}
    loaded = {a.id: a for a in await session.scalars(
        select(Answer).where(Answer.id.in_([answer_id for answer_id, *_ in newest.values()])))}
    found = {}
    for field, (answer_id, flow_id, user_id, contact_id) in newest.items():
        answer = loaded[answer_id]
        who = users[user_id].name if user_id in users else contacts.get(contact_id or 0)
        found[field] = Fact(field, shown_answer(flows, flow_id, answer, lang),
                            answer.answered_at, user_id is not None, who)
    return found


async def _last_interaction(session: AsyncSession, customer_id: int) -> LastInteraction | None:
    interview = (await session.execute(
        select(Interview.completed_at, Interview.flow_id, Interview.respondent_user_id)
        .where(Interview.customer_id == customer_id, Interview.status == "completed")
        .order_by(Interview.completed_at.desc()).limit(1))).first()
    note = (await session.scalars(select(Note).where(Note.customer_id == customer_id)
                                  .order_by(Note.id.desc()).limit(1))).first()
    users = await reporting.users_by_id(session, [interview.respondent_user_id if interview
                                                  else None, note.author_id if note else None])
    found = []
    if interview is not None and interview.completed_at is not None:
        user = users.get(interview.respondent_user_id or 0)
        found.append(LastInteraction(interview.completed_at, interview.flow_id,
                                     user.name if user else None))
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
