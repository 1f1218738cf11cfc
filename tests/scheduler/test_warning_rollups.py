"""Issue 27: deal warnings rolled up for managers — the daily digest counts the open ones by
kind and rep, and the weekly report adds how many began and ended in the week and how long
the customers stayed at risk; under a controlled clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chat.actions import Action, Send, SendFile
from scheduler.dispatcher import Dispatcher
from services.deal_watch import watch_deals
from storage import customers
from storage.models import Contact, Customer, Reminder
from tests.conftest import FakeClock
from tests.scheduler.test_planning import team
from tests.storage.helpers import Harness, harness

MONDAY_0905 = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai


async def _watch(h: Harness) -> None:
    async with h.sessions.begin() as s:
        await watch_deals(s, h.service, h.clock())


async def _plan_and_send(h: Harness, dispatcher: Dispatcher) -> None:
    async with h.sessions.begin() as s:
        await h.planner.plan(s, h.clock())
    await dispatcher.tick()


async def test_the_digest_and_the_weekly_report_count_warnings_by_kind_and_rep(
        db_url: str, shipped_flows: dict) -> None:
    clock = FakeClock(MONDAY_0905 - timedelta(days=7))
    sent: list[Action] = []

    async def perform(action: Action) -> int:
        sent.append(action)
        return len(sent)

    async with harness(db_url, shipped_flows, clock) as h:
        rep, manager, _admin = await team(h)
        async with h.sessions.begin() as s:  # three A and B customers with no contact
            for name, grade in (("华东精密", "A"), ("北方重工", "B"), ("上海阀门", "A")):
                customer = await customers.create(s, name, clock(), owner_id=rep.id)
                customer.grade = grade
        await _watch(h)  # a week ago: three "single contact" warnings began
        clock.advance(days=3)
        async with h.sessions.begin() as s:  # 北方重工: two contacts now
            (north,) = [c for c in await s.scalars(select(Customer)) if c.name == "北方重工"]
            for name in ("钱经理", "孙工"):
                s.add(Contact(customer_id=north.id, name=name, created_at=clock(),
                              updated_at=clock()))
        await _watch(h)  # one ended after three days
        clock.now = MONDAY_0905
        await _watch(h)  # A: 14 days without activity — not yet (7 days)
        dispatcher = Dispatcher(h.sessions, perform, h.clock, h.planner, h.planner.policy,
                                flows=shipped_flows)
        await _plan_and_send(h, dispatcher)
        to_manager = [a for a in sent if getattr(a, "chat_id", None) == 8001]
        digest = next(a.text for a in to_manager
                      if isinstance(a, Send) and "风险提醒" in a.text and "📊" not in a.text)
        assert "风险提醒 2 条：单一联系人 2" in digest  # the manager reads Chinese
        assert "Wang Fang 2" in digest
        report = next(a for a in to_manager if isinstance(a, SendFile))
        assert report.chart is not None
        assert report.chart["warnings"]["open"] == {"single_contact": 2}
        assert report.chart["warnings"]["ended"] == 1  # 北方重工's, within the week
        assert report.chart["warnings"]["median_days_at_risk"] == 3.0
        summary = next(a.text for a in to_manager if isinstance(a, Send) and "📊" in a.text)
        assert "单一联系人 2" in summary and "解除 1" in summary
        async with h.sessions() as s:
            digests = (await s.scalars(select(Reminder).where(
                Reminder.kind == "digest", Reminder.recipient_id == manager.id))).all()
            assert [d.payload["total"] for d in digests] == [0]  # no revisit overdue
