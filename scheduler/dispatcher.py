"""Sending due reminders: claim a batch with a lease, send within Telegram's limits,
record each outcome at once.

After a crash mid-send, a claimed reminder is sent again once its lease ends (a
minute): every reminder reaches its recipient at least once; one whose send was in
flight at the moment of the crash may arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.actions import MAX_CAPTION, Action, Keyboard, Send, SendFile
from chat.clock import Clock
from chat.delivery import DeliveryError, Perform, backoff
from conversation import meeting_brief
from conversation.reminder_texts import buttons, note_text, say
from flows.card_fields import field_label
from flows.model import Flow
from flows.vagueness import rule_label
from scheduler import questionnaire_texts
from scheduler.planning import Planner
from scheduler.policy import ReminderPolicy
from scheduler.rate_limit import RateLimiter
from scheduler.timing import next_birthday
from services import events, meetings, warning_report
from services.chart import figures
from services.deal_watch import DealRules
from services.exporting import choice_labels, label_of
from services.reports import build_report, summary_text
from storage import accounts, card, reminders, reporting
from storage.models import Account, Contact, Customer, Interview, Reminder, User

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
RECORD_EVERY = 50  # outcomes are written in chunks as they come, so a crash repeats few
BATCH = 500  # claimed at once; recorded in full before the next claim


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    postponed: int = 0
    redirected: int = 0

    def add(self, other: Stats) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Known:
    """What a batch's reminders refer to, loaded once."""

    users: dict[int, User]
    customers: dict[int, Customer]
    accounts: dict[int, Account]  # by address
    addresses: dict[int, int]  # user id -> where they are reached


@dataclass
class Job:
    reminder_id: int
    chat_id: int
    text: str
    keyboard: Keyboard = field(default_factory=tuple)
    recipient_id: int | None = None
    attempts: int = 0
    before: tuple[Action, ...] = ()  # sent first (the weekly report's chart)


class Dispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], perform: Perform,
                 clock: Clock, planner: Planner, policy: ReminderPolicy,
                 limiter: RateLimiter | None = None, concurrency: int = 64,
                 lease: timedelta = reminders.LEASE,
                 flows: Mapping[str, Flow] | None = None,
                 rules: DealRules | None = None) -> None:
        self.sessions, self.perform, self.clock, self.lease = sessions, perform, clock, lease
        self.planner, self.policy = planner, policy
        self.flows = dict(flows or {})  # for the weekly report's answer labels
        self.rules = rules  # flows and policy of a meeting's brief
        self.limiter = limiter or RateLimiter()
        self.gate = asyncio.Semaphore(concurrency)

    async def tick(self, batch: int = BATCH) -> Stats:
        """One pass: everything due now, batch after batch."""
        total = Stats()
        while True:
            stats, claimed = await self._batch(batch)
            total.add(stats)
            if claimed < batch:
                return total

    async def _batch(self, size: int) -> tuple[Stats, int]:
        stats = Stats()
        now = self.clock()
        async with self.sessions.begin() as session:
            claimed = await reminders.claim_due(session, now, size, self.lease)
            known = await self._load(session, claimed)
            jobs = [job for r in claimed
                    if (job := await self._prepare(session, r, now, stats, known))]
        outcomes: dict[int, dict[str, object]] = {}
        results = await asyncio.gather(*(self._send(job, outcomes) for job in jobs))
        for outcome in results:
            setattr(stats, outcome, getattr(stats, outcome) + 1)
        await self._record(outcomes, force=True)
        return stats, len(claimed)

    async def _load(self, session: AsyncSession, claimed: list[Reminder]) -> Known:
        """Recipients, customers and accounts of a batch in three queries, not three per
        reminder."""
        user_ids = {r.recipient_id for r in claimed if r.recipient_id is not None}
        customer_ids = {r.customer_id for r in claimed if r.customer_id is not None}
        users = {u.id: u for u in await session.scalars(
            select(User).where(User.id.in_(user_ids)))}
        customers = {c.id: c for c in await session.scalars(
            select(Customer).where(Customer.id.in_(customer_ids)))}
        addresses = await accounts.addresses_of(session, user_ids)
        chats = {*addresses.values()} | {r.recipient_chat for r in claimed}
        found, _ = await accounts.load(session, {c for c in chats if c is not None})
        return Known(users, customers, found, addresses)

    async def _prepare(self, session: AsyncSession, reminder: Reminder, now: datetime,
                       stats: Stats, known: Known) -> Job | None:
        """Decide, inside the claiming transaction, what to send, or why not now."""
        late = self.policy.max_lateness_days.get(reminder.kind)
        if late is not None and now - reminder.due_at > timedelta(days=late):
            log.warning("reminder %s (%s) expired: due %s, now %s", reminder.id, reminder.kind,
                        reminder.due_at, now)
            reminder.status, reminder.lease_until = "expired", None
            reminder.last_error = f"expired: {late} days past due at {now.isoformat()}"
            stats.expired += 1
            return None
        gone = await self._obsolete(session, reminder, now)
        if gone is not None:  # an interview finished, a meeting moved or begun meanwhile
            reminder.status, reminder.lease_until, reminder.last_error = gone, None, gone
            return None
        user = known.users.get(reminder.recipient_id) if reminder.recipient_id else None
        chat = known.addresses.get(user.id) if user is not None else reminder.recipient_chat
        if chat is None:
            reminder.status, reminder.last_error = "failed", "recipient has no chat account"
            stats.failed += 1
            return None
        account = known.accounts.get(chat)
        lang = (account.language if account else None) or (user.language if user else "zh")
        customer = known.customers.get(reminder.customer_id) if reminder.customer_id else None
        text = await self._text(session, reminder, customer, lang)
        if account is not None and account.unreachable_at is not None:
            await self._redirect(session, reminder, user, text, now)
            stats.redirected += 1
            return None
        deliverable = self.planner.deliverable(now, user)
        if deliverable > now:
            reminder.due_at, reminder.lease_until = deliverable, None
            stats.postponed += 1
            return None
        before: tuple[Action, ...] = ()
        if reminder.kind == "overdue" and reminder.customer_id is not None:
            await events.reminder_overdue(session, reminder.id, reminder.customer_id,
                                          reminder.payload, reminder.recipient_id, now)
        if reminder.kind == "weekly_report" and user is not None:
            chart, text = await self._weekly_report(session, reminder, user, lang, now)
            before = (SendFile(chat, f"report-{now.date().isoformat()}.png",
                               text.split("\n", 1)[0][:MAX_CAPTION], chart=chart, lang=lang),)
        return Job(reminder.id, chat, text,
                   buttons(reminder.id, reminder.kind, lang, reminder.payload),
                   reminder.recipient_id, reminder.attempts, before)

    async def _obsolete(self, session: AsyncSession, reminder: Reminder,
                        now: datetime) -> str | None:
        if reminder.kind == "brief":
            return await meetings.brief_obsolete(session, reminder.payload, now)
        if reminder.kind == "nudge":
            interview = await session.get(Interview, reminder.payload.get("interview_id"))
            if interview is None or interview.status != "active":
                return "cancelled"
        return None

    async def _weekly_report(self, session: AsyncSession, reminder: Reminder, manager: User,
                             lang: str, now: datetime) -> tuple[dict[str, Any], str]:
        """The manager's team report, as of now: figures for the chart, and the summary."""
        owners = await reporting.visible_owner_ids(session, manager)
        report = await build_report(session, self.flows, owners, now,
                                    self.planner.zone(manager).key, lang,
                                    int(reminder.payload.get("days", 7)))
        return figures(report.data()), summary_text(report, lang)

    async def _text(self, session: AsyncSession, reminder: Reminder, customer: Customer | None,
                    lang: str) -> str:
        name = customer.name if customer else ""
        payload = reminder.payload
        kind = reminder.kind
        if kind == "follow_up":
            return say(kind, lang, customer=name, note=note_text(payload.get("note"), lang))
        if kind == "revisit":
            return say(kind, lang, customer=name, due_on=payload.get("due_on", ""))
        if kind == "birthday":
            contact = await session.get(Contact, payload.get("contact_id"))
            day = ""
            if contact is not None and contact.birthday is not None:
                day = next_birthday(contact.birthday, reminder.due_at.date()).isoformat()
            return say(kind, lang, customer=name, contact=contact.name if contact else "",
                       birthday=day or payload.get("birthday", ""))
        if kind == "invite_unanswered":
            state = say("opened" if payload.get("opened") else "not_opened", lang)
            return say(kind, lang, customer=name, state=state)
        if kind == "digest":
            return await self._digest_text(session, payload, lang)
        if kind == "escalation":
            return say(kind, lang, customer=name, days=payload.get("days"),
                       manager=payload.get("manager", ""))
        if kind in PAYLOAD_TEXTS:
            return _payload_text(kind, name, payload, lang)
        if kind in ("overdue", "overdue_team"):
            return say(kind, lang, customer=name, days=payload.get("days"),
                       due_on=payload.get("due_on", ""), owner=payload.get("owner", ""))
        if kind == "brief" and customer is not None and self.rules is not None:
            return await meeting_brief.brief_message(session, self.rules, reminder, customer,
                                                     lang, self.clock())
        if kind == "reassigned":
            names = ("、" if lang == "zh" else ", ").join(payload.get("customers", []))
            more = int(payload.get("count", 0)) - len(payload.get("customers", []))
            names += f" (+{more})" if more > 0 else ""
            return say(f"reassigned_{payload.get('direction', 'in')}", lang,
                       other=payload.get("other", ""), count=payload.get("count", 0),
                       customers=names)[:4000]
        if kind == "redirected":
            return say(kind, lang, name=payload.get("name", ""), text=payload.get("text", ""))
        if kind == "questionnaire_done":
            return await questionnaire_texts.done_text(session, self.flows, reminder, customer,
                                                       lang)
        if kind == "questionnaire_corrected":
            return await questionnaire_texts.corrected_text(session, self.flows, reminder,
                                                            customer, lang)
        if kind in ("contact_due", "manager_revisit", "celebration", "verify", "clean_up"):
            return await self._care_text(session, reminder, customer, lang)
        return say(kind, lang, customer=name)  # a nudge, and what needs no more

    async def _care_text(self, session: AsyncSession, reminder: Reminder,
                         customer: Customer | None, lang: str) -> str:
        """The seed duties: key-account contacts, a manager's quarterly revisit, a
        celebration, the quarterly check and the clean-up of vague answers."""
        name = customer.name if customer else ""
        payload, kind = reminder.payload, reminder.kind
        if kind == "contact_due":
            contact = await session.get(Contact, payload.get("contact_id"))
            role = choice_labels(dict(self.flows), lang).get(
                "contact.decision_role", {}).get(payload.get("role", ""), payload.get("role"))
            return say(kind, lang, customer=name, contact=contact.name if contact else "",
                       role=role, days=payload.get("days"), last=payload.get("last", ""))
        if kind == "manager_revisit":
            return say(kind, lang, customer=name, grade=payload.get("grade", ""),
                       owner=payload.get("owner") or "—", due_on=payload.get("due_on", ""))
        if kind == "celebration":
            return say(kind, lang, customer=name, day=payload.get("day", ""))
        if kind == "verify":
            last = payload.get("last")
            when = say("verify_last", lang, day=last) if last else say("verify_never", lang)
            return say(kind, lang, customer=name, last=when)
        labels = choice_labels(dict(self.flows), lang)
        lines = []
        for card_field, rule in payload.get("fields", []):
            _record, column = card.CARD_COLUMNS[card_field]
            value = getattr(customer, column, None) if customer is not None else None
            if value is None:
                continue  # made concrete (or emptied) meanwhile
            lines.append(say("clean_up_line", lang, field=field_label(card_field, lang),
                             value=str(label_of(labels, card_field, value)),
                             rule=rule_label(rule, lang)))
        by = payload.get("by", "")
        if by and customer is not None:
            by = datetime.fromisoformat(by).astimezone(self.planner.zone(None)).strftime(
                "%Y-%m-%d %H:%M")
        return say(kind, lang, customer=name, by=by, lines="\n".join(lines) or "—")[:4000]

    async def _digest_text(self, session: AsyncSession, payload: dict[str, object],
                           lang: str) -> str:
        lines = []
        for line in payload.get("lines", []):  # type: ignore[attr-defined]
            owner = await session.get(User, line.get("owner_id")) if line.get("owner_id") \
                else None
            lines.append(say("digest_line", lang, customer=line["customer"],
                             owner=owner.name if owner else "—", days=line["days"]))
        parts = [say("digest", lang, total=payload.get("total", len(lines)),
                     lines="\n".join(lines))] if lines else []
        at_risk: list[list[Any]] = payload.get("warnings") or []  # type: ignore[assignment]
        parts += (await warning_report.counted(session, at_risk)).lines(lang)
        if released := payload.get("released"):
            parts.append(_payload_text("digest_released", "", {
                "count": payload.get("released_total"), "customers": released}, lang))
        return "\n".join(parts)[:4000]

    async def _redirect(self, session: AsyncSession, reminder: Reminder, user: User | None,
                        text: str, now: datetime) -> None:
        """The recipient blocked the bot: their manager (or the admins) gets it instead."""
        reminder.status, reminder.lease_until = "redirected", None
        reminder.last_error = "recipient unreachable"
        targets = [user.manager_id] if user is not None and user.manager_id else [
            m.id for m in await reminders.managers(session) if m.role == "admin"]
        for target in targets:
            if target is None or (user is not None and target == user.id):
                continue
            await reminders.schedule(
                session, kind="redirected", dedupe_key=f"redirected:{reminder.id}:{target}",
                due_at=now, now=now, customer_id=reminder.customer_id, recipient_id=target,
                payload={"name": user.name if user else "—", "text": text})

    async def _send(self, job: Job, outcomes: dict[int, dict[str, object]]) -> str:
        async with self.gate:
            await self.limiter.acquire(job.chat_id)
            try:
                for action in job.before:
                    await self.perform(action)
                message_id = await self.perform(Send(job.chat_id, job.text, job.keyboard))
            except DeliveryError as error:
                return await self._failed(job, error, outcomes)
            except Exception as exc:  # an adapter's surprise must not stop the whole batch
                log.exception("reminder %s: unexpected error while sending", job.reminder_id)
                return await self._failed(job, DeliveryError("transient", repr(exc)), outcomes)
        outcomes[job.reminder_id] = {"status": "sent", "sent_message_id": message_id,
                                     "sent_at": self.clock()}
        await self._record(outcomes)
        return "sent"

    async def _failed(self, job: Job, error: DeliveryError,
                      outcomes: dict[int, dict[str, object]]) -> str:
        now = self.clock()
        detail = f"{error.kind}: {error.detail}"[:2000]
        retry = {"status": "pending", "attempts": job.attempts + 1, "last_error": detail}
        if error.kind == "retry_after":
            self.limiter.retry_after(job.chat_id, error.retry_after)
            outcomes[job.reminder_id] = {**retry,
                                         "due_at": now + timedelta(seconds=error.retry_after)}
            return "retried"
        if error.kind == "transient" and job.attempts + 1 < MAX_ATTEMPTS:
            outcomes[job.reminder_id] = {**retry,
                                         "due_at": now + timedelta(seconds=backoff(job.attempts))}
            return "retried"
        if error.kind == "forbidden":
            async with self.sessions.begin() as session:
                await accounts.mark_unreachable(session, job.chat_id, now)
                reminder = await session.get(Reminder, job.reminder_id)
                user = await session.get(User, job.recipient_id) if job.recipient_id else None
                if reminder is not None:
                    await self._redirect(session, reminder, user, job.text, now)
            return "redirected"
        outcomes[job.reminder_id] = {"status": "failed", "attempts": job.attempts + 1,
                                     "last_error": detail}
        return "failed"

    async def _record(self, outcomes: dict[int, dict[str, object]],
                      force: bool = False) -> None:
        """Write the outcomes gathered so far in one transaction, once there are
        RECORD_EVERY of them (or at the end of a batch), and forget them."""
        if not outcomes or (len(outcomes) < RECORD_EVERY and not force):
            return
        taken = dict(outcomes)
        outcomes.clear()
        now = self.clock()
        rows = [{"id": rid, **values, "lease_until": None, "updated_at": now}
                for rid, values in taken.items()]
        groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for row in rows:
            groups.setdefault(tuple(sorted(row)), []).append(row)
        table = Reminder.__table__
        assert isinstance(table, Table)
        async with self.sessions.begin() as session:
            for keys, group in groups.items():
                # only rows still pending: a recipient may already have pressed Snooze or
                # Done on the message before its outcome got here
                statement = (table.update()
                             .where(table.c.id == bindparam("_id"), table.c.status == "pending")
                             .values({k: bindparam(f"_{k}") for k in keys if k != "id"}))
                await session.execute(statement, [{f"_{k}": v for k, v in row.items()}
                                                  for row in group])


PAYLOAD_TEXTS = frozenset({"pool_warning", "pool_released", "pool_team", "share_request",
                           "duplicate_manager", "shared"})


def _payload_text(kind: str, customer: str, payload: dict[str, Any], lang: str) -> str:
    """Notices whose words come from their payload: the team pool's (a warning, a release,
    the manager's list) and two reps on one customer (a share asked, granted; the manager)."""
    names = ("、" if lang == "zh" else ", ").join(payload.get("customers", []))
    rest = {k: v for k, v in payload.items() if k != "customers"}
    return say(kind, lang, customer=customer, names=names, **rest)[:4000]
