"""Issue 15: what the seed documents ask, carried out (each test is a row of the README's
seed coverage table)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from flows.quality import Observation, completeness, conflicts
from flows.seed_banks import BANK_000, carried
from flows.vagueness import vague_reason
from scheduler.policy import load_policy
from services.record_merge import merge_records
from services.reports import card_quality
from storage import accounts, audit, co_owners, consents, customers, reporting
from storage.models import Answer, Contact, Customer, CustomerMerge, Interview, Note
from tests import scripts
from tests.conftest import FakeClock
from tests.scheduler.test_planning import owned, pending, plan, team
from tests.scripts import script, shipped
from tests.storage.helpers import REP, harness
from tests.storage.test_interviews import drive, start

FULL_PRE_MEETING = {
    **scripts.PRE_MEETING, "department": "IT", "phone": "138 0013 8000",
    "email": "li@acme.cn", "messenger": "liwei_wx", "credit_code": "91310000MA1FL8XQ30",
    "address": "1 Main St, Shanghai", "website": "acme.cn", "vendors_considered": "yes",
    "competitor": "BetaSoft", "past_cooperation": "no"}
FULL_POST_CALL = {
    **scripts.POST_CALL, "stages_covered": "1,2", "pains_heard": "1",
    "pain_detail": "Orders get lost", "met_title": "COO", "met_department": "Operations",
    "met_phone": "139 1234 5678", "met_email": "zs@acme.cn", "met_messenger": "zs_wx",
    "industry": "1", "employees": "80", "credit_code": "91310000MA1FL8XQ30",
    "address": "2 Side St", "website": "acme.cn", "need_type": "1", "budget": "2",
    "approval_process": "Owner signs", "competitor": "BetaSoft", "celebration": "2027-06-18"}


def test_the_flows_carry_every_item_of_the_seed_bank_on_its_stage() -> None:
    found = carried(shipped().values())
    assert [item for item, where in found.items() if not where] == []
    assert len(BANK_000) == 37


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_questionnaire_answered_in_full_fills_the_whole_card(
        db_url: str, shipped_flows: dict, clock: FakeClock, lang: str) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h)
        turn = await drive(h, turn.interview_id, script(shipped()["pre_meeting"],
                                                        FULL_PRE_MEETING), lang)
        assert turn.status == "completed"
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            quality = await card_quality(s, shipped_flows, [card], lang)
        assert quality[customer.id].completeness.percent == 100, \
            quality[customer.id].completeness.missing


async def test_a_debrief_of_a_new_customer_fills_the_whole_card_and_asks_nothing_known_twice(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h, "post_call")
        await drive(h, turn.interview_id, script(shipped()["post_call"], FULL_POST_CALL))
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            contacts = await reporting.contacts_of_customers(s, [card.id])
            assert completeness(reporting.card_values(card, contacts[card.id])).percent == 100
        async with h.sessions.begin() as s:  # a second debrief: the card questions are known
            again = await h.service.begin(s, customer_id=customer.id, flow_id="post_call",
                                          respondent=REP, language="en")
        inputs = script(shipped()["post_call"], {**scripts.POST_CALL, "met_name": "Zhang San"})
        turn = await drive(h, again.interview_id, inputs[:inputs.index("in 3 days") + 2])
        assert turn.status == "completed"  # nothing after the next contact: all known


def test_only_answers_to_the_same_kind_of_question_are_compared() -> None:
    """The false positive of the issue: "CTO和CEO" (who else decides) against "张总，需钱经理
    引荐" (who decides and how to reach them) share a field, not a meaning."""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    seen = [Observation("deal.decision_process", "customer", "CTO和CEO", "CTO和CEO", at, 1,
                        "participants"),
            Observation("deal.decision_process", "rep", "张总，需钱经理引荐", "张总，需钱经理引荐",
                        at, 2, "decision_maker")]
    assert conflicts(seen) == []
    same_kind = [seen[0], Observation("deal.decision_process", "rep", "CEO only", "CEO only",
                                      at, 2, "participants")]
    assert [c.field for c in conflicts(same_kind)] == ["deal.decision_process"]


async def test_the_false_positive_is_gone_from_the_card(db_url: str, shipped_flows: dict,
                                                        clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h)
        await drive(h, turn.interview_id, script(shipped()["pre_meeting"], {
            **scripts.PRE_MEETING, "decision_role": "2", "decision_people": "CTO和CEO"}))
        async with h.sessions.begin() as s:
            debrief = await h.service.begin(s, customer_id=customer.id, flow_id="post_call",
                                            respondent=REP, language="zh")
        await drive(h, debrief.interview_id, script(shipped()["post_call"], {
            **scripts.POST_CALL, "met_role": "2", "decision_maker_met": "no",
            "decision_maker": "张总，需钱经理引荐"}), "zh")
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            quality = await card_quality(s, shipped_flows, [card], "zh")  # type: ignore[list-item]
        assert quality[customer.id].conflicts == []


async def test_key_account_contacts_are_reached_by_decision_role(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Seed 002: the core decision maker weekly, an influencer twice a month."""
    async with harness(db_url, shipped_flows, clock) as h:
        rep, manager, _ = await team(h)
        async with h.sessions.begin() as s:
            key = await customers.create(s, "Key Co", clock(), owner_id=rep.id)
            key.grade = "A"
            for name, role in (("Boss", "decision_maker"), ("Helper", "influencer")):
                contact = await customers.new_contact(s, key.id, clock())
                contact.name, contact.decision_role = name, role
            plain = await customers.create(s, "Plain Co", clock(), owner_id=rep.id)
            plain.grade = "C"
            (await customers.new_contact(s, plain.id, clock())).decision_role = "decision_maker"
        clock.advance(days=5)
        await plan(h)
        assert await pending(h, "contact_due") == []
        clock.advance(days=1)  # the eve of the 7th day: due at 09:00 on it
        await plan(h)
        (boss,) = await pending(h, "contact_due")
        assert boss.payload["role"] == "decision_maker" and boss.payload["days"] == 7
        assert boss.recipient_id == rep.id and boss.customer_id == key.id
        clock.advance(days=8)  # the eve of the 15th day
        await plan(h)
        roles = sorted(r.payload["role"] for r in await pending(h, "contact_due"))
        assert roles == ["decision_maker", "influencer"]  # 15 days for the influencer
        # seed 000: the owner's manager revisits an A-grade customer every quarter
        assert await pending(h, "manager_revisit") == []
        clock.advance(days=75)
        await plan(h)
        (visit,) = await pending(h, "manager_revisit")
        assert visit.recipient_id == manager.id and visit.customer_id == key.id


async def test_a_celebration_is_remembered_30_days_ahead(db_url: str, shipped_flows: dict,
                                                         clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        async with h.sessions.begin() as s:
            party = await customers.create(s, "Party Co", clock(), owner_id=rep.id)
            party.celebration_on = date(2015, 12, 31)  # founded then: celebrated each year
        await plan(h)  # 2026-11-23: 38 days ahead, not yet
        assert await pending(h, "celebration") == []
        clock.advance(days=8)
        await plan(h)
        (reminder,) = await pending(h, "celebration")
        assert reminder.payload["day"] == "2026-12-31" and reminder.recipient_id == rep.id


async def test_vague_answers_get_a_clean_up_task_and_a_short_flow_makes_them_concrete(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    rules = load_policy().vague_answers
    assert vague_reason("下季度吧", rules) == "relative_date"
    assert vague_reason("看情况", rules) == "unknown"
    assert vague_reason("几十万", rules) == "range_without_number"
    assert vague_reason("30万左右", rules) is None and vague_reason("handsome", rules) is None
    async with harness(db_url, shipped_flows, clock) as h:
        h.service.vague_rules = rules
        rep, _, _ = await team(h)
        customer, turn = await start(h, "post_call")
        await owned(h, customer.id, rep)
        rep_says = {**scripts.POST_CALL, "timeline": "5", "timeline:other": "下季度",
                    "approval_process": "看情况"}
        done = await drive(h, turn.interview_id, script(shipped()["post_call"], rep_says))
        assert done.scheduled is not None
        assert set(done.scheduled.clean_up) == {"deal.timeline", "deal.decision_process"}
        (task,) = await pending(h, "clean_up")
        assert task.due_at == clock.now + timedelta(hours=2)
        assert sorted(f for f, _ in task.payload["fields"]) == ["deal.decision_process",
                                                                  "deal.timeline"]
        async with h.sessions.begin() as s:  # "Clean up now": the vague ones, shown to change
            fix = await h.service.begin(s, customer_id=customer.id, flow_id="clean_up",
                                        respondent=REP, language="zh")
        assert fix.step.question_id == "timeline" and fix.step.mode == "known"
        assert "下季度" in fix.step.text
        turn = await drive(h, fix.interview_id, ["2", "5", "2027年3月底"], "zh")
        assert turn.step.question_id == "budget"  # empty: a gap to fill (optional)
        turn = await drive(h, fix.interview_id, ["/skip", "2", "财务总监审批后老板签字"], "zh")
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            assert card.timeline == "2027年3月底"
            assert card.decision_process == "财务总监审批后老板签字"


async def test_every_card_is_checked_each_quarter_and_the_check_is_dated(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, turn = await start(h)
        await owned(h, customer.id, rep)
        await drive(h, turn.interview_id, scripts.script(shipped()["pre_meeting"],
                                                         scripts.PRE_MEETING))
        clock.advance(days=89)
        await plan(h)
        assert await pending(h, "verify") == []
        clock.advance(days=2)
        await plan(h)
        await plan(h)
        (task,) = await pending(h, "verify")
        assert task.recipient_id == rep.id
        async with h.sessions.begin() as s:
            check = await h.service.begin(s, customer_id=customer.id, flow_id="verify",
                                          respondent=REP, language="en")
        assert check.step.mode == "known" and "Manufacturing" in check.step.text
        turn = check
        for _ in range(40):  # keep what is right, skip what was never known
            if turn.status == "completed":
                break
            answer = "1" if turn.step.mode == "known" else "/skip"
            turn = await drive(h, check.interview_id, [answer])
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None and card.last_verified == date(2027, 2, 22)
            assert card.industry == "manufacturing"


async def test_merging_a_duplicate_moves_everything_and_reports_it(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        duplicate, turn = await start(h, name="上海示例")
        await drive(h, turn.interview_id, script(shipped()["pre_meeting"], FULL_PRE_MEETING))
        async with h.sessions.begin() as s:
            kept = await customers.create(s, "上海示例科技有限公司", clock(), owner_id=rep.id)
            kept.industry = "retail"
            s.add(Note(customer_id=duplicate.id, text="met at the fair", created_at=clock()))
        async with h.sessions.begin() as s:
            dup = await s.get(Customer, duplicate.id)
            keep = await s.get(Customer, kept.id)
            assert dup is not None and keep is not None
            report = await merge_records(s, dup, keep, actor="cli", channel="cli", now=clock(),
                                         planner=h.planner)
        assert report.moved["interviews"] == 1 and report.moved["notes"] == 1
        assert report.moved["contacts"] == 1 and report.moved["answers"] > 40
        assert "customer.credit_code" in report.filled and "customer.address" in report.filled
        assert report.differing == ["customer.industry"]  # both filled: kept #2's, listed
        async with h.sessions() as s:
            assert await s.get(Customer, duplicate.id) is None
            keep = await s.get(Customer, kept.id)
            assert keep is not None and keep.credit_code == "91310000MA1FL8XQ30"
            assert keep.industry == "retail"
            assert {a.customer_id for a in await s.scalars(select(Answer))} == {kept.id}
            assert (await s.scalars(select(Contact))).one().customer_id == kept.id
            assert (await s.scalars(select(Interview))).one().customer_id == kept.id
            assert (await s.scalars(select(CustomerMerge))).one().from_id == duplicate.id
            trail = await audit.entries(s, customer_id=kept.id)
            assert any(e.entity_id == str(duplicate.id) and e.action == "customer.create"
                       for e in trail)  # the duplicate's history comes along


async def test_a_co_owner_gets_the_reminders_and_sees_the_customer(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        async with h.sessions.begin() as s:
            second = await accounts.add_user(s, telegram_id=7002, name="Zhou", role="rep",
                                             now=clock())
        customer, turn = await start(h)
        await owned(h, customer.id, rep)
        async with h.sessions.begin() as s:
            assert await co_owners.add(s, customer.id, second.id, "cli", clock())
        await drive(h, turn.interview_id, script(shipped()["pre_meeting"], scripts.PRE_MEETING))
        follow = await pending(h, "follow_up")
        assert sorted(r.recipient_id for r in follow) == sorted([rep.id, second.id])
        revisits = await pending(h, "revisit")
        assert sorted(r.recipient_id for r in revisits) == sorted([rep.id, second.id])
        async with h.sessions() as s:
            seen = await reporting.customers_in_scope(s, await reporting.visible_owner_ids(
                s, second))
            assert [c.id for c in seen] == [customer.id]


async def test_agreement_to_an_older_notice_no_longer_stands(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            customer = await customers.create(s, "Consent Co", clock())
            await consents.record(s, telegram_id=42, customer_id=customer.id, invite_id=None,
                                  version="2026-11", decision="accepted", now=clock())
        async with h.sessions() as s:
            assert await consents.latest(s, 42, customer.id, "2026-11") == "accepted"
            assert await consents.latest(s, 42, customer.id, "2027-01") == "outdated"
            assert (await consents.latest_of(s, [42], "2027-01"))[(42, customer.id)] \
                == "outdated"


async def test_a_credit_code_already_on_record_flags_a_duplicate_and_loses_nothing(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        first, turn = await start(h, name="上海示例科技")
        await drive(h, turn.interview_id, script(shipped()["pre_meeting"], FULL_PRE_MEETING))
        second, turn = await start(h, name="示例科技（上海）")
        done = await drive(h, turn.interview_id, script(shipped()["pre_meeting"],
                                                        FULL_PRE_MEETING))
        assert done.status == "completed"  # no unique-key crash: every answer is kept
        async with h.sessions() as s:
            card = await s.get(Customer, second.id)
            assert card is not None and card.credit_code is None
            assert f"duplicate_of:#{first.id}" in card.tags
            typed = await s.scalar(select(Answer.value).where(
                Answer.customer_id == second.id, Answer.question_id == "credit_code"))
            assert typed == "91310000MA1FL8XQ30"


async def test_a_check_by_a_rep_who_never_met_them_reads_the_customers_own_contact(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h)
        await drive(h, turn.interview_id, script(shipped()["pre_meeting"], FULL_PRE_MEETING))
        other_rep = type(REP)("tg:2002", "telegram")
        async with h.sessions.begin() as s:
            check = await h.service.begin(s, customer_id=customer.id, flow_id="verify",
                                          respondent=other_rep, language="en")
        turn = check
        shown = []
        for _ in range(40):
            if turn.status == "completed":
                break
            shown.append(turn.step.text)
            async with h.sessions.begin() as s:
                turn = await h.service.answer(s, check.interview_id, "1", "en") \
                    if turn.step.mode == "known" else await h.service.skip(
                        s, check.interview_id, "en")
        assert any("We have: Li Wei." in text for text in shown)
        async with h.sessions() as s:
            assert len((await s.scalars(select(Contact))).all()) == 1  # no second, empty one
