"""The warnings pass (services/deal_watch.py) on a real database, under a controlled clock:
each kind of warning is opened by the data its rule reads and ended when that data changes,
with when it began and ended stored; a second pass at once opens nothing twice."""

from __future__ import annotations

from sqlalchemy import select

from flows.deal_warnings import WarningRules
from services.deal_watch import warnings_of, watch_deals
from services.interview_service import InterviewService, Respondent
from storage import accounts
from storage.models import Contact, Customer, DealWarningRow, Note, Reminder
from tests import scripts
from tests.conftest import FakeClock
from tests.scripts import script, shipped
from tests.storage.helpers import Harness, harness
from tests.storage.test_interviews import drive

CUSTOMER = Respondent("tg:5005", "telegram")
# met a user (no decision-maker), no budget, the timeline "within a month", situation only,
# next contact in 7 days
THIN_DEBRIEF = script(shipped()["post_call"], {
    "call_type": "1", "met_name": "Wang Fang", "met_role": "3", "stages_covered": "1",
    "situation_notes": "Small team", "decision_maker_met": "no", "decision_maker": "Unknown",
    "timeline": "1", "next_step": "4", "priority": "3", "grade": "1",
    "next_contact": "in 7 days"})


async def _open(h: Harness) -> dict[str, DealWarningRow]:
    async with h.sessions.begin() as s:
        return {row.kind: row for row in await s.scalars(
            select(DealWarningRow).where(DealWarningRow.ended_at.is_(None)))}


async def _pass(h: Harness) -> dict[str, DealWarningRow]:
    async with h.sessions.begin() as s:
        await watch_deals(s, h.service, h.clock())
    return await _open(h)


async def _debriefed(h: Harness) -> tuple[int, Respondent]:
    h.service = InterviewService(h.service.flows, h.clock, "Asia/Shanghai", h.planner,
                                 warning_rules=WarningRules(after_debriefs=1))
    async with h.sessions.begin() as s:
        rep = await accounts.add_user(s, telegram_id=901, name="销售 Li", role="rep",
                                      now=h.clock())
        me = Respondent("tg:901", "telegram", rep.id)
        customer = await h.service.create_customer(s, "华东精密", me)
        customer.owner_id = rep.id
    async with h.sessions.begin() as s:
        turn = await h.service.begin(s, customer_id=customer.id, flow_id="post_call",
                                     respondent=me, language="en")
    await drive(h, turn.interview_id, THIN_DEBRIEF)
    return customer.id, me


async def test_each_warning_opens_with_its_data_and_ends_when_it_changes(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer_id, me = await _debriefed(h)
        began = clock()
        found = await _pass(h)
        # grade A, one contact (a user), no budget (the timeline is a need-payoff answer)
        assert set(found) == {"no_decision_maker", "budget_unknown", "single_contact"}
        assert found["single_contact"].began_at == began
        again = await _pass(h)  # nothing opened twice, nothing ended
        assert {k: r.id for k, r in again.items()} == {k: r.id for k, r in found.items()}

        clock.advance(days=15)  # A: 14 days without activity; the follow-up 8 days overdue
        found = await _pass(h)
        assert {"no_activity", "follow_up_overdue"} <= set(found)
        assert found["no_activity"].days == 15 and found["follow_up_overdue"].days >= 7
        clock.advance(days=20)  # "within a month", said 35 days ago
        found = await _pass(h)
        assert "purchase_date_passed" in found

        async with h.sessions.begin() as s:  # the data changes
            s.add(Contact(customer_id=customer_id, name="Boss Chen",
                          decision_role="decision_maker", created_at=clock(),
                          updated_at=clock()))
            s.add(Note(customer_id=customer_id, author_id=me.user_id, text="call set",
                       created_at=clock()))
            customer = await s.get(Customer, customer_id)
            assert customer is not None
            customer.budget = "500k_1m"
            for reminder in await s.scalars(select(Reminder).where(
                    Reminder.customer_id == customer_id, Reminder.kind == "follow_up")):
                reminder.status = "done"
        ended_at = clock()
        found = await _pass(h)
        assert set(found) == {"purchase_date_passed"}
        async with h.sessions.begin() as s:
            ended = {row.kind: row for row in await s.scalars(
                select(DealWarningRow).where(DealWarningRow.ended_at.is_not(None)))}
            assert set(ended) == {"no_decision_maker", "budget_unknown", "single_contact",
                                  "no_activity", "follow_up_overdue"}
            assert ended["single_contact"].ended_at == ended_at
            assert ended["single_contact"].began_at == began
            # the brief and the card judge as of now, the same rules
            customer = await s.get(Customer, customer_id)
            assert customer is not None
            assert {w.kind for w in await warnings_of(s, h.service, customer, clock())} \
                == set(found)


async def test_a_disagreement_opens_and_a_closed_customer_ends_its_warnings(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer_id, _me = await _debriefed(h)
        async with h.sessions.begin() as s:
            turn = await h.service.begin(s, customer_id=customer_id, flow_id="pre_meeting",
                                         respondent=CUSTOMER, language="en")
        # the customer says "within six months", the rep recorded "within a month"
        await drive(h, turn.interview_id, script(shipped()["pre_meeting"],
                                                 {**scripts.PRE_MEETING, "timeline": "3"}))
        found = await _pass(h)
        assert "disagreement" in found and found["disagreement"].count >= 1
        async with h.sessions.begin() as s:
            customer = await s.get(Customer, customer_id)
            assert customer is not None
            customer.closed_at = clock()
        assert await _pass(h) == {}
        async with h.sessions.begin() as s:
            assert all(row.ended_at is not None for row in await s.scalars(
                select(DealWarningRow)))
