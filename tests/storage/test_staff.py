"""Staff changes on a real database: a rep leaves, their customers stay with the company."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import accounts, audit, customers, invites, reminders, staff
from storage.models import AuditEntry, Customer, Invite, Reminder
from tests.conftest import FakeClock
from tests.storage.helpers import harness


async def test_a_leaving_rep_hands_over_customers_reminders_and_invites(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            now = clock()
            leaving = await accounts.add_user(s, telegram_id=1, name="Wang", role="rep", now=now)
            heir = await accounts.add_user(s, telegram_id=2, name="Chen", role="rep", now=now)
            boss = await accounts.add_user(s, telegram_id=3, name="Zhao", role="manager",
                                           now=now)
            mine = [await customers.create(s, f"客户 {i}", now, owner_id=leaving.id)
                    for i in range(3)]
            theirs = await customers.create(s, "Not moved", now, owner_id=heir.id)
            await reminders.schedule(s, kind="follow_up", dedupe_key="f:1", now=now,
                                     due_at=now + timedelta(days=3), customer_id=mine[0].id,
                                     recipient_id=leaving.id)
            await reminders.schedule(s, kind="escalation", dedupe_key="e:1", now=now,
                                     due_at=now, customer_id=mine[0].id, recipient_id=boss.id)
            open_invite, _ = await invites.create(s, customer_id=mine[1].id, flow_id="pre_meeting",
                                                  created_by=leaving.id, now=now,
                                                  valid_for=timedelta(days=14))
        async with h.sessions.begin() as s:  # the refusal itself is recorded
            user = await s.get(type(leaving), leaving.id)
            assert user is not None
            with pytest.raises(staff.StaffError, match="Wang still owns 3 customer"):
                await staff.deactivate(s, user, actor="cli", channel="cli", now=clock())
        async with h.sessions.begin() as s:
            source, target = await s.get(type(leaving), leaving.id), await s.get(
                type(heir), heir.id)
            assert source is not None and target is not None
            moved = await staff.reassign(s, source, target, actor="tg:9", channel="telegram",
                                         now=clock())
        assert (len(moved.customers), moved.reminders, moved.invites) == (3, 1, 1)
        async with h.sessions.begin() as s:
            owners = dict((await s.execute(select(Customer.name, Customer.owner_id))).all())
            assert owners == {"客户 0": heir.id, "客户 1": heir.id, "客户 2": heir.id,
                              "Not moved": heir.id}
            follow_up = await s.scalar(select(Reminder).where(Reminder.kind == "follow_up"))
            escalation = await s.scalar(select(Reminder).where(Reminder.kind == "escalation"))
            assert follow_up is not None and follow_up.recipient_id == heir.id
            assert escalation is not None and escalation.recipient_id == boss.id  # stays
            invite = await s.get(Invite, open_invite.id)
            assert invite is not None and invite.created_by == heir.id
            notices = (await s.scalars(select(Reminder).where(
                Reminder.kind == "reassigned").order_by(Reminder.recipient_id))).all()
            assert [(n.recipient_id, n.payload["direction"], n.payload["count"])
                    for n in notices] == [(leaving.id, "out", 3), (heir.id, "in", 3)]
            user = await s.get(type(leaving), leaving.id)
            assert user is not None
            await staff.deactivate(s, user, actor="cli", channel="cli", now=clock())
        async with h.sessions() as s:
            assert await accounts.user_at(s, 1) is None
            left = (await s.scalars(select(Reminder.status).where(
                Reminder.recipient_id == leaving.id))).all()
            assert left == ["cancelled"]  # the farewell notice is not sent to someone gone
            trail = [(e.action, e.outcome) for e in await audit.entries(s)]
            assert trail.count(("customer.reassign", "ok")) == 3
            assert ("user.deactivate", "refused") in trail and ("user.deactivate", "ok") in trail
            assert await audit.verify_chain(s) is None
            assert theirs.id not in {int(e.entity_id or 0) for e in (await s.scalars(
                select(AuditEntry).where(AuditEntry.action == "customer.reassign"))).all()}
