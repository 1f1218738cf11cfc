"""Deciding what to remind whom and when. Everything here only writes reminder rows.

Each reminder has a dedupe key, so planning the same thing twice (a planner pass
after a restart, an answer processed again) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.meeting_time import MeetingTime
from flows.steps import Outcome
from scheduler import follow_ups, key_accounts, managers, pool, record_care
from scheduler.policy import QuietHours, ReminderPolicy
from scheduler.timing import (
    MORNING,
    at_local,
    next_birthday,
    outside_quiet_hours,
    quiet_began,
)
from services import meetings
from services.follow_up_planner import Scheduled
from storage import accounts, co_owners, customers, personal, reminders
from storage.models import Contact, Customer, Interview, Invite, User
from storage.reporting import chunks


@dataclass
class Known:
    """What a planner pass loads for all its customers at once."""

    owners: dict[int, User]
    others: dict[int, list[User]]  # customer -> active co-owners but the owner
    batch: reminders.Batch  # the reminders planned, written when the step is done
    moved: list[int] = field(default_factory=list)  # customers whose revisit date moved


class Planner:
    def __init__(self, policy: ReminderPolicy, default_timezone: str,
                 retention_months: int | None = None) -> None:
        self.policy, self.default_zone = policy, default_timezone
        self.retention_months = retention_months

    def zone(self, user: User | None) -> ZoneInfo:
        return ZoneInfo(user.timezone if user is not None and user.timezone
                        else self.default_zone)

    def quiet(self, user: User | None) -> QuietHours:
        if user is not None and user.quiet_hours:
            start, _, end = user.quiet_hours.partition("-")
            return QuietHours.model_validate({"start": start, "end": end})
        return self.policy.quiet_hours

    def deliverable(self, moment: datetime, user: User | None) -> datetime:
        """The moment, moved out of the recipient's quiet hours."""
        return outside_quiet_hours(moment, self.zone(user), self.quiet(user))

    def before(self, moment: datetime, deadline: datetime, user: User | None) -> datetime:
        """The moment out of the recipient's quiet hours: their end when that is still
        before `deadline` (a brief before a meeting), else a minute before they began."""
        later = self.deliverable(moment, user)
        if later == moment or later < deadline:
            return later
        return quiet_began(moment, self.zone(user), self.quiet(user)) - timedelta(minutes=1)

    # ------------------------------------------------------------- after an interview
    async def after_interview(self, session: AsyncSession, interview: Interview,
                              customer: Customer, outcome: Outcome | None,
                              now: datetime) -> Scheduled:
        """Follow-ups the flow's rules asked for, and the next revisit; called inside the
        transaction that stores the interview's last answer. Says what it scheduled."""
        owner = await self._owner(session, customer, interview)
        zone = self.zone(owner)
        asked = outcome.follow_ups if outcome is not None else ()
        plans = follow_ups.one_a_day(asked, now, zone, lambda due: self.deliverable(due, owner)) \
            if owner is not None else []
        dues: list[datetime] = []
        others = await self._co_owners(session, customer, owner)
        if plans:  # this debrief's plan replaces what earlier ones left pending
            await reminders.cancel_pending(session, customer.id, ("follow_up",), now,
                                           keep_prefix=f"follow_up:{interview.id}:")
        for index, plan, due in plans:
            dues.append(due)
            payload = {"note": plan.note, "interview_id": interview.id,
                       "flow_id": interview.flow_id, "dated": plan.on is not None}
            await reminders.schedule(
                session, kind="follow_up", dedupe_key=f"follow_up:{interview.id}:{index}",
                due_at=dues[-1], now=now, customer_id=customer.id,
                recipient_id=owner.id if owner is not None else None, payload=payload)
            for other in others:  # every owner hears of it (seed 001: two reps on a prospect)
                await reminders.schedule(
                    session, kind="follow_up",
                    dedupe_key=f"follow_up:{interview.id}:{index}:u{other.id}",
                    due_at=self.deliverable(due, other), now=now, customer_id=customer.id,
                    recipient_id=other.id, payload=payload)
        await self.set_revisit(session, customer, now)
        for _index, plan, _due in plans:  # the day agreed with the customer: a meeting
            if plan.on is not None and owner is not None and interview.respondent_user_id:
                await meetings.set_meeting(
                    session, self, self.policy.brief, customer, owner,
                    MeetingTime(date.fromisoformat(plan.on), None), zone, source="debrief",
                    actor=f"user:{interview.respondent_user_id}", channel="engine", now=now)
        clean_up = await record_care.clean_up_task(self, session, interview, customer, owner,
                                                   now)
        return Scheduled(tuple(dues), customer.revisit_due_on if owner is not None else None,
                         owner.name if owner is not None else None, len(asked), zone.key,
                         clean_up)

    async def one_follow_up_a_day(self, session: AsyncSession, customer: Customer,
                                  now: datetime) -> int:
        """After records were merged: at most one pending follow-up per person and day."""
        pending = await reminders.pending_follow_ups(session, customer.id)
        people = await self._users(session, {r.recipient_id for r in pending
                                             if r.recipient_id is not None})
        return follow_ups.cancel_second_ones(
            pending, lambda r: self.zone(people.get(r.recipient_id or 0)), now)

    async def _co_owners(self, session: AsyncSession, customer: Customer,
                         owner: User | None) -> list[User]:
        found = (await self._co_owners_of(session, [customer])).get(customer.id, [])
        return [u for u in found if owner is None or u.id != owner.id]

    async def _co_owners_of(self, session: AsyncSession,
                            customers: list[Customer]) -> dict[int, list[User]]:
        """Each customer's active co-owners but its owner, in two queries for any number."""
        ids: dict[int, list[int]] = {}
        for chunk in chunks([c.id for c in customers]):
            ids.update(await co_owners.by_customer(session, chunk))
        users = await self._users(session, {i for found in ids.values() for i in found})
        return {c.id: [users[i] for i in ids[c.id] if i in users and users[i].active
                       and i != c.owner_id] for c in customers if c.id in ids}

    async def to_owners(self, session: AsyncSession, customer: Customer, *, kind: str,
                        dedupe_key: str, on: date, now: datetime,
                        payload: dict[str, object]) -> None:
        """One reminder for the owner and each co-owner, at 09:00 their time on `on` (or now,
        when that has passed), outside their quiet hours."""
        owner = await customers.owner_of(session, customer)
        people = ([owner] if owner is not None else []) + await self._co_owners(
            session, customer, owner)
        for person in people:
            due = max(at_local(on, MORNING, self.zone(person)), now)
            key = dedupe_key if person is owner else f"{dedupe_key}:u{person.id}"
            await reminders.schedule(
                session, kind=kind, dedupe_key=key, due_at=self.deliverable(due, person),
                now=now, customer_id=customer.id, recipient_id=person.id, payload=payload)

    async def set_revisit(self, session: AsyncSession, customer: Customer, now: datetime,
                          known: Known | None = None) -> None:
        """The next revisit falls due one cadence (by grade) after the last contact.
        `known`: the owners and co-owners a planner pass loaded for all its customers at
        once, and the batch it writes their reminders in. A closed customer is not
        revisited."""
        if customer.closed_at is not None:
            return
        owner = None
        if customer.owner_id is not None:
            owner = (known.owners if known else {}).get(customer.owner_id) or await session.get(
                User, customer.owner_id)
        zone = self.zone(owner)
        last = (customer.last_contact_at or customer.created_at).astimezone(zone).date()
        due_on = last + timedelta(days=self.policy.revisit_days(customer.grade))
        if customer.revisit_due_on != due_on:
            if known is not None:  # the pass cancels them all at once, before it writes
                known.moved.append(customer.id)
            else:
                await reminders.cancel_pending(session, customer.id, ("revisit",), now)
            customer.revisit_due_on = due_on
        if known is not None:
            self._revisit_reminder(customer, owner, known.others.get(customer.id, []), now,
                                   known.batch)
        elif owner is not None:
            batch = reminders.Batch()
            self._revisit_reminder(customer, owner, await self._co_owners(
                session, customer, owner), now, batch)
            await batch.write(session)

    async def reprioritise(self, session: AsyncSession, customer: Customer,
                           now: datetime) -> None:
        """A priority changed by hand: the pending follow-ups give way to one at the new
        priority's cadence (follow_up_after_days), for the owner."""
        days = self.policy.follow_up_after_days.get(customer.priority or "")
        await reminders.cancel_pending(session, customer.id, ("follow_up",), now)
        if days is None or customer.owner_id is None:
            return
        owner = await session.get(User, customer.owner_id)
        due = at_local(now.astimezone(self.zone(owner)).date() + timedelta(days=days), MORNING,
                       self.zone(owner))
        await reminders.schedule(
            session, kind="follow_up",
            dedupe_key=f"follow_up:priority:{customer.id}:{customer.priority}:{due.date()}",
            due_at=self.deliverable(due, owner), now=now, customer_id=customer.id,
            recipient_id=customer.owner_id, payload={"priority": customer.priority})

    def _revisit_reminder(self, customer: Customer, owner: User | None, others: list[User],
                          now: datetime, batch: reminders.Batch) -> None:
        if customer.revisit_due_on is None or owner is None:
            return
        due_on = customer.revisit_due_on
        payload = {"due_on": due_on.isoformat()}
        for person in [owner, *others]:
            key = f"revisit:{customer.id}:{due_on}" + ("" if person is owner else
                                                         f":u{person.id}")
            batch.add(kind="revisit", dedupe_key=key, now=now, customer_id=customer.id,
                      due_at=self.deliverable(at_local(due_on, MORNING, self.zone(person)),
                                              person),
                      recipient_id=person.id, payload=payload)

    async def _owner(self, session: AsyncSession, customer: Customer,
                     interview: Interview) -> User | None:
        if customer.owner_id is not None:
            return await session.get(User, customer.owner_id)
        if interview.respondent_user_id is not None:
            return await session.get(User, interview.respondent_user_id)
        return None

    # ------------------------------------------------------------- periodic pass
    async def plan(self, session: AsyncSession, now: datetime) -> None:
        """Everything that falls due with the calendar: revisits, birthdays, invite nudges,
        managers' digests and escalations. Safe to run as often as you like."""
        today = now.astimezone(ZoneInfo(self.default_zone)).date()
        await pool.release_pass(session, self.policy.pool, now, self.deliverable)
        await self._revisits(session, now, today)
        await self._overdue_pings(session, now, today)
        await self._nudges(session, now)
        await self._birthdays(session, now, today)
        await key_accounts.celebrations(self, session, now, today)
        await key_accounts.contact_cadences(self, session, now, today)
        await key_accounts.manager_revisits(self, session, now, today)
        await record_care.verifications(self, session, now, today)
        await self._invites(session, now)
        await managers.digests(self, session, now)
        await managers.weekly_reports(self, session, now)
        if self.retention_months is not None:
            await personal.purge_expired(session, self.retention_months, now)

    async def _revisits(self, session: AsyncSession, now: datetime, today: date) -> None:
        undated = list(await session.scalars(select(Customer).where(
            Customer.revisit_due_on.is_(None), Customer.owner_id.is_not(None),
            Customer.closed_at.is_(None))))
        known = await self._known(session, undated)
        for customer in undated:
            await self.set_revisit(session, customer, now, known)
        await reminders.cancel_pending_of(session, known.moved, ("revisit",), now)
        await known.batch.write(session)
        due = list(await session.scalars(select(Customer).where(
            Customer.revisit_due_on <= today + timedelta(days=1),
            Customer.owner_id.is_not(None))))
        known = await self._known(session, due)
        for customer in due:
            assert customer.owner_id is not None
            self._revisit_reminder(customer, known.owners.get(customer.owner_id),
                                   known.others.get(customer.id, []), now, known.batch)
        await known.batch.write(session)

    async def _known(self, session: AsyncSession, customers: list[Customer]) -> Known:
        owners = await self._users(session, {c.owner_id for c in customers})
        return Known(owners, await self._co_owners_of(session, customers),
                     reminders.Batch())

    async def _overdue_pings(self, session: AsyncSession, now: datetime, today: date) -> None:
        """An overdue revisit pings its owner every overdue_repeat_days (the k-th ping once,
        whenever the planner first sees it due), and from overdue_to_manager_days on the
        owner's manager too; each at a deliverable time (never in quiet hours)."""
        every, to_manager = self.policy.overdue_repeat_days, self.policy.overdue_to_manager_days
        late = list(await session.scalars(select(Customer).where(
            Customer.revisit_due_on < today, Customer.owner_id.is_not(None),
            Customer.closed_at.is_(None))))
        owners = await self._users(session, {c.owner_id for c in late})
        managers = await self._users(session, {o.manager_id for o in owners.values()})
        batch = reminders.Batch()
        for customer in late:
            assert customer.owner_id is not None and customer.revisit_due_on is not None
            owner = owners.get(customer.owner_id)
            due_on = customer.revisit_due_on
            days = (today - due_on).days
            payload = {"days": days, "due_on": due_on.isoformat(),
                       "owner": owner.name if owner else ""}
            if days >= every:
                batch.add(
                    kind="overdue", dedupe_key=f"overdue:{customer.id}:{due_on}:"
                    f"{days // every}", due_at=self.deliverable(now, owner), now=now,
                    customer_id=customer.id, recipient_id=customer.owner_id, payload=payload)
            manager = managers.get(owner.manager_id) if owner and owner.manager_id else None
            if manager is not None and days >= to_manager:
                batch.add(
                    kind="overdue_team", dedupe_key=f"overdue_team:{customer.id}:"
                    f"{due_on}:{(days - to_manager) // every}",
                    due_at=self.deliverable(now, manager), now=now, customer_id=customer.id,
                    recipient_id=manager.id, payload=payload)
        await batch.write(session)

    async def _nudges(self, session: AsyncSession, now: datetime) -> None:
        """An open interview idle for nudge_after_hours (per audience) gets a nudge, then
        at most nudge_max more, nudge_repeat_hours apart; answering starts the count anew.
        The keys make each nudge once, across restarts and replicas."""
        after = self.policy.nudge_after_hours
        if not after:
            return
        repeat = timedelta(hours=self.policy.nudge_repeat_hours)
        idle = list(await session.scalars(select(Interview).where(
            Interview.status == "active",
            Interview.updated_at < now - timedelta(hours=min(after.values())))))
        users = await self._users(session, {i.respondent_user_id for i in idle})
        for interview in idle:
            staff = users.get(interview.respondent_user_id or 0)
            audience = "rep" if staff is not None else "customer"
            if audience not in after:
                continue
            waited = now - interview.updated_at - timedelta(hours=after[audience])
            if waited < timedelta(0):
                continue
            chat = None
            if staff is None:
                chat = accounts.address_in(interview.respondent_key)
                if chat is None:
                    continue  # the terminal: nobody to send it to
            number = min(int(waited / repeat), self.policy.nudge_max)
            await reminders.schedule(
                session, kind="nudge",
                dedupe_key=f"nudge:{interview.id}:{interview.updated_at:%Y%m%d%H%M%S}:{number}",
                due_at=self.deliverable(now, staff), now=now, customer_id=interview.customer_id,
                recipient_id=staff.id if staff else None, recipient_chat=chat,
                payload={"interview_id": interview.id, "flow_id": interview.flow_id})

    async def _users(self, session: AsyncSession, ids: set[int | None]) -> dict[int, User]:
        """Users by id in one query (a pass must not cost a query per customer)."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(wanted)))}

    async def _birthdays(self, session: AsyncSession, now: datetime, today: date) -> None:
        ahead = self.policy.birthday_days_before
        rows = await session.execute(
            select(Contact, Customer).join(Customer, Contact.customer_id == Customer.id)
            .where(Contact.birthday.is_not(None), Customer.owner_id.is_not(None),
                   Customer.closed_at.is_(None)))
        soon = []
        for contact, customer in rows.all():
            assert contact.birthday is not None
            birthday = next_birthday(contact.birthday, today)
            remind_on = birthday - timedelta(days=ahead)
            if remind_on <= today + timedelta(days=1):
                soon.append((contact, customer, birthday, remind_on))
        for contact, customer, birthday, remind_on in soon:
            await self.to_owners(
                session, customer, kind="birthday",
                dedupe_key=f"birthday:{contact.id}:{birthday.year}", on=remind_on, now=now,
                payload={"contact_id": contact.id})  # the date itself stays encrypted

    async def _invites(self, session: AsyncSession, now: datetime) -> None:
        cutoff = now - timedelta(hours=self.policy.invite_nudge_after_hours)
        rows = await session.execute(
            select(Invite, Interview.status).outerjoin(Interview,
                                                        Invite.interview_id == Interview.id)
            .where(Invite.created_at <= cutoff, Invite.revoked_at.is_(None),
                   Invite.expires_at > now))
        for invite, status in rows.all():
            if status == "completed":
                continue
            if invite.telegram_id is not None and status is None:  # begun: _nudges has it
                await reminders.schedule(
                    session, kind="invite_nudge", dedupe_key=f"invite_nudge:{invite.id}",
                    due_at=now, now=now, customer_id=invite.customer_id,
                    recipient_chat=invite.telegram_id, payload={"invite_id": invite.id})
            if invite.created_by is not None:
                rep = await session.get(User, invite.created_by)
                await reminders.schedule(
                    session, kind="invite_unanswered",
                    dedupe_key=f"invite_unanswered:{invite.id}",
                    due_at=self.deliverable(now, rep), now=now, customer_id=invite.customer_id,
                    recipient_id=invite.created_by,
                    payload={"invite_id": invite.id, "opened": invite.telegram_id is not None})
