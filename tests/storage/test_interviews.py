"""Interviews through the service on a real database: every answer committed, nothing lost."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from flows.loader import default_flow_dir, load_paths
from flows.model import Flow
from flows.steps import Completed, Prompt
from services.interview_service import Turn
from storage import audit
from storage.models import Answer, AuditEntry, Contact, Customer, Interview
from tests import scripts
from tests.conftest import FakeClock
from tests.flows.yaml_snippets import load_flow
from tests.scripts import script
from tests.storage.helpers import REP, Harness, harness

PRE_MEETING = script(load_paths([default_flow_dir()])["pre_meeting"], scripts.PRE_MEETING)


async def drive(h: Harness, interview_id: int, inputs: list[str], lang: str = "en") -> Turn:
    """Each input in its own transaction, as an adapter does it."""
    turn = None
    for raw in inputs:
        async with h.sessions.begin() as s:
            if raw == "/skip":
                turn = await h.service.skip(s, interview_id, lang)
            elif raw == "/back":
                turn = await h.service.back(s, interview_id, lang)
            else:
                turn = await h.service.answer(s, interview_id, raw, lang)
    assert turn is not None
    return turn


async def start(h: Harness, flow_id: str = "pre_meeting",
                name: str = "Acme 有限公司") -> tuple[Customer, Turn]:
    async with h.sessions.begin() as s:
        customer = await h.service.create_customer(s, name, REP)
        turn = await h.service.begin(s, customer_id=customer.id, flow_id=flow_id, respondent=REP,
                                     language="en")
    return customer, turn


async def test_a_completed_questionnaire_fills_the_card(db_url: str, shipped_flows: dict,
                                                         clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h)
        turn = await drive(h, turn.interview_id, PRE_MEETING)
        assert isinstance(turn.step, Completed) and turn.status == "completed"
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            assert (card.industry, card.employees, card.timeline, card.budget, card.priority) == (
                "manufacturing", 250, "within_1_month", "500k_1m", "high")
            assert card.need_type == "crm"  # a product or solution (seed 003), not the pains
            assert card.decision_process == "CFO approves, CEO signs"  # the approval steps
            assert card.tags == ["priority:high", "pain:serious"]
            assert card.last_contact_at == clock.now
            (contact,) = (await s.scalars(select(Contact))).all()
            assert (contact.name, contact.title, contact.decision_role) == (
                "Li Wei", "CTO", "decision_maker")
            interview = await s.get(Interview, turn.interview_id)
            assert interview is not None and interview.outcome is not None
            assert interview.outcome["follow_ups"][0]["after"] == "3d"
            answers = (await s.scalars(select(Answer).where(Answer.superseded_at.is_(None))))
            by_question = {a.question_id: a for a in answers}
            assert by_question["phone"].value is None and by_question["phone"].raw_text is None
            budget = by_question["budget"]
            assert (budget.raw_text, budget.value) == ("3", "500k_1m")
            assert by_question["decision_people"].maps_to is None  # participants: no field
            assert by_question["employees"].answered_by == "tg:1001"
            assert await audit.verify_chain(s) is None


async def test_an_edited_answer_keeps_its_history(db_url: str, shipped_flows: dict,
                                                   clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _customer, turn = await start(h)
        await drive(h, turn.interview_id, ["1", "250"])
        clock.advance(minutes=1)
        turn = await drive(h, turn.interview_id, ["/back", "300"])
        assert isinstance(turn.step, Prompt) and turn.step.question_id == "contact_name"
        async with h.sessions() as s:
            rows = (await s.scalars(select(Answer).where(Answer.question_id == "employees")
                                    .order_by(Answer.id))).all()
        assert [(r.value, r.superseded_at is not None) for r in rows] == [(250, True), (300, False)]


async def test_an_interrupted_interview_resumes_where_it_stopped(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h)
        await drive(h, turn.interview_id, PRE_MEETING[:3])  # industry, head count, name
    async with harness(db_url, shipped_flows, clock) as h:  # a new process
        async with h.sessions.begin() as s:
            again = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                          respondent=REP, language="zh")
        assert again.interview_id == turn.interview_id and again.resumed
        assert isinstance(again.step, Prompt) and again.step.question_id == "decision_role"
        assert again.step.text == "在这类采购中，您通常是哪种角色？"


async def test_an_invalid_answer_stores_nothing(db_url: str, shipped_flows: dict,
                                                clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _customer, turn = await start(h)
        turn = await drive(h, turn.interview_id, ["1", "lots"])
        assert isinstance(turn.step, Prompt)
        assert turn.step.error == "Please enter a whole number between 1 and 1,000,000."
        async with h.sessions() as s:
            stored = (await s.scalars(select(Answer.question_id))).all()
        assert stored == ["industry"]


def twenty_text_questions() -> Flow:
    return load_flow("".join(
        f"- {{id: q{i:02d}, stage: background, type: text, text: Q{i}}}\n" for i in range(20)))


async def test_answers_sent_at_once_are_stored_in_order_one_per_question(
        db_url: str, clock: FakeClock) -> None:
    flows = {"demo": twenty_text_questions()}
    async with harness(db_url, flows, clock) as h:
        users = []
        for n in range(3):
            _customer, turn = await start(h, "demo", f"Customer {n}")
            users.append(turn.interview_id)

        async def one(interview_id: int, text: str) -> None:
            async with h.sessions.begin() as s:
                await h.service.answer(s, interview_id, text, "en")

        async def burst(interview_id: int) -> None:
            # 20 answers fired together; each must land on its own question, in order
            await asyncio.gather(*(one(interview_id, f"a{i:02d}") for i in range(20)))

        await asyncio.gather(*(burst(i) for i in users))
        async with h.sessions() as s:
            for interview_id in users:
                rows = (await s.scalars(select(Answer).where(Answer.interview_id == interview_id)
                                        .order_by(Answer.id))).all()
                assert [r.question_id for r in rows] == [f"q{i:02d}" for i in range(20)]
                assert sorted(r.value for r in rows) == [f"a{i:02d}" for i in range(20)]
                assert all(r.superseded_at is None for r in rows)
                interview = await s.get(Interview, interview_id)
                assert interview is not None and interview.status == "completed"


async def test_only_one_unfinished_interview_per_respondent_customer_and_flow(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _customer, turn = await start(h)
        async with h.sessions() as s, s.begin():
            row = await s.get(Interview, turn.interview_id)
            assert row is not None
            values = {c: getattr(row, c) for c in ("flow_id", "flow_version", "fingerprint",
                      "customer_id", "respondent_key", "language", "status", "state",
                      "started_at", "updated_at")}
        with pytest.raises(IntegrityError):
            async with h.sessions() as s, s.begin():
                await s.execute(insert(Interview).values(**values))


async def test_the_audit_trail_refuses_changes_and_tampering_shows(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        _customer, turn = await start(h)
        async with h.sessions.begin() as s:
            await h.service.cancel(s, turn.interview_id, REP)
        async with h.sessions() as s:
            assert await audit.verify_chain(s) is None
            first = await s.scalar(select(AuditEntry.id).order_by(AuditEntry.id).limit(1))
        for change in (update(AuditEntry).where(AuditEntry.id == first).values(actor="x"),
                       delete(AuditEntry).where(AuditEntry.id == first)):
            with pytest.raises(DBAPIError, match="audit_log is append-only"):
                async with h.sessions.begin() as s:
                    await s.execute(change)
        # someone with the power to remove the guard edits an entry: the chain shows it
        postgres = h.engine.dialect.name == "postgresql"
        async with h.sessions.begin() as s:
            await s.execute(text("DROP TRIGGER audit_log_no_change ON audit_log" if postgres
                                 else "DROP TRIGGER audit_log_no_update"))
            await s.execute(update(AuditEntry).where(AuditEntry.id == first)
                            .values(actor="someone else"))
        async with h.sessions() as s:
            assert await audit.verify_chain(s) == first


async def test_times_come_back_timezone_aware_in_utc(db_url: str, shipped_flows: dict,
                                                     clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, _turn = await start(h)
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None and card.created_at == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
            assert card.created_at.tzinfo is not None


def debrief(next_contact: str) -> list[str]:
    """post_call: first visit, met the decision maker, situation only, timeline confirmed,
    send a proposal, medium priority, then the next contact date, confirmed."""
    flow = load_paths([default_flow_dir()])["post_call"]
    return script(flow, {**scripts.POST_CALL, "priority": "2", "next_contact": next_contact})


async def test_a_date_answer_fills_a_date_column(db_url: str, shipped_flows: dict,
                                                  clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h, "post_call")
        inputs = debrief("in 7 days")
        turn = await drive(h, turn.interview_id, inputs)
        assert isinstance(turn.step, Completed), turn.step
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            # today in Shanghai is 2026-11-23 (the clock says 02:00 UTC)
            assert card.next_contact == date(2026, 11, 30)
            assert card.next_step == "send_proposal"


async def test_questions_see_the_respondents_day_not_utc(db_url: str, shipped_flows: dict) -> None:
    late = FakeClock(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))  # 01:00 on the 24th in Shanghai
    async with harness(db_url, shipped_flows, late) as h:
        customer, turn = await start(h, "post_call")
        inputs = debrief("tomorrow")
        await drive(h, turn.interview_id, inputs)
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None and card.next_contact == date(2026, 11, 25)


async def test_database_speaks_utf8(db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        customer, _ = await start(h, name="北京某某科技有限公司 <b>&</b> 😀")
        async with h.sessions() as s:
            name = await s.scalar(text("SELECT name FROM customers WHERE id = :id"),
                                  {"id": customer.id})
        assert name == "北京某某科技有限公司 <b>&</b> 😀"


@pytest.mark.parametrize("empty_db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_the_applications_role_cannot_change_the_trail(
        empty_db_url: str) -> None:
    """Run as an ordinary role that owns its database (as in production): the migration
    takes UPDATE and DELETE on audit_log away from it, before any trigger is reached."""
    from storage import migrate
    from storage.database import create_engine
    from tests.conftest import TEST_CIPHER, _admin

    role = f"ib_app_{uuid.uuid4().hex[:8]}"
    name = empty_db_url.rsplit("/", 1)[1]
    await _admin(f'CREATE ROLE "{role}" LOGIN')
    try:
        await _admin(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
        await _admin_in(name, f'GRANT ALL ON SCHEMA public TO "{role}"')
        as_app = empty_db_url.replace("postgres@", f"{role}@", 1)
        engine = create_engine(as_app, cipher=TEST_CIPHER)
        try:
            await migrate.upgrade(engine)
            async with engine.begin() as conn:
                await conn.execute(text(
                    "INSERT INTO audit_log (at, actor, action, entity, fields, channel, "
                    "outcome, prev_hash, hash) VALUES (now(), 'a', 'b', 'c', '[]', 'd', 'ok', "
                    "'0', '1')"))
            for change in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
                with pytest.raises(DBAPIError, match="permission denied for table audit_log"):
                    async with engine.begin() as conn:
                        await conn.execute(text(change))
        finally:
            await engine.dispose()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin(f'DROP ROLE IF EXISTS "{role}"')


async def _admin_in(database: str, sql: str) -> None:
    import asyncpg

    from tests.conftest import PG_ADMIN_URL

    conn = await asyncpg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


BIG_HEADCOUNT = """\
- id: staff
  stage: background
  type: integer
  text: {zh: 多少人, en: How many people}
  maps_to: customer.employees
"""


async def test_a_number_beyond_its_card_field_is_asked_again_not_a_crash(
        db_url: str, clock: FakeClock) -> None:
    """Issue 17 (3): before, 99999999999999999999999 ended in an OverflowError on SQLite and
    30亿 in "value out of int32 range" on PostgreSQL."""
    flow = load_flow(BIG_HEADCOUNT)
    async with harness(db_url, {"demo": flow}, clock) as h:
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Big Co", REP)
            turn = await h.service.begin(s, customer_id=customer.id, flow_id="demo",
                                         respondent=REP, language="zh")
        for typed in ("99999999999999999999999", "30亿"):
            async with h.sessions.begin() as s:
                turn = await h.service.answer(s, turn.interview_id, typed, "zh")
            assert isinstance(turn.step, Prompt)
            assert turn.step.error == "请输入 0 到 10,000,000 之间的整数。"
        async with h.sessions.begin() as s:
            turn = await h.service.answer(s, turn.interview_id, "1000万", "zh")
        assert isinstance(turn.step, Completed)
        async with h.sessions.begin() as s:
            stored = await s.get(Customer, customer.id)
            assert stored is not None and stored.employees == 10_000_000
            stored.employees = 3_000_000_000  # the column itself is 64-bit (0009)
        async with h.sessions() as s:
            assert await s.scalar(select(Customer.employees)) == 3_000_000_000


async def test_a_second_questionnaire_confirms_what_the_card_knows(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 14: a second pre_meeting asked the industry, head count, contact and role
    again. Now the company's facts are not asked again (`known: skip`: two questions
    fewer), the contact's are shown to keep, one tap keeps it, and the answer says so."""
    async with harness(db_url, shipped_flows, clock) as h:
        customer, turn = await start(h)
        await drive(h, turn.interview_id, PRE_MEETING)
        async with h.sessions.begin() as s:
            again = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                          respondent=REP, language="en")
        assert isinstance(again.step, Prompt) and again.step.mode == "known"
        assert "How should we address you?\nWe have: L*****." in again.step.text
        assert (again.step.number, again.step.total) == (1, 10)  # 12, less the two known
        turn = await drive(h, again.interview_id, ["Keep it", "2"])
        assert isinstance(turn.step, Prompt) and turn.step.question_id == "decision_role"
        assert turn.step.mode == "answer"  # "2": change it, asked as usual
        async with h.sessions() as s:
            rows = (await s.execute(select(Answer.question_id, Answer.source).where(
                Answer.interview_id == again.interview_id).order_by(Answer.id))).all()
            contacts = (await s.scalars(select(Contact).where(
                Contact.customer_id == customer.id))).all()
        assert [tuple(r) for r in rows] == [("contact_name", "kept")]
        assert len(contacts) == 1  # the same person, not a second contact
