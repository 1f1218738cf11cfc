"""A customer's data on request, erased on request, purged after retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from scheduler.planning import Planner
from scheduler.policy import load_policy
from services.interview_service import Respondent
from storage import audit, consents, customers, invites, personal
from storage.models import Answer, AuditEntry, Consent, Contact, Customer, Interview, Invite
from tests import scripts
from tests.conftest import FakeClock
from tests.scripts import script, script_to, shipped
from tests.storage.helpers import REP, Harness, harness
from tests.storage.test_interviews import drive

PERSON = 5005
CUSTOMER = Respondent(f"tg:{PERSON}", "telegram")


async def _answered(h: Harness, name: str) -> Customer:
    """A customer whose contact answered the questionnaire through an invite."""
    async with h.sessions.begin() as s:
        customer = await h.service.create_customer(s, name, Respondent("cli", "cli"))
        invite, _ = await invites.create(s, customer_id=customer.id, flow_id="pre_meeting",
                                         created_by=None, now=h.clock(),
                                         valid_for=timedelta(days=14))
        invite.telegram_id = PERSON
        await consents.record(s, telegram_id=PERSON, customer_id=customer.id,
                              invite_id=invite.id, version="2026-11", decision="accepted",
                              now=h.clock())
        turn = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                     respondent=CUSTOMER, language="en")
    answers = script(shipped()["pre_meeting"], {**scripts.PRE_MEETING, "phone": "138 0013 8000"})
    await drive(h, turn.interview_id, answers)
    return customer


async def test_a_customer_gets_everything_held_and_erasure_leaves_only_the_audit(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        acme = await _answered(h, "Acme 华东")
        async with h.sessions.begin() as s:
            other = await customers.create(s, "Bystander", clock())
            (await customers.new_contact(s, other.id, clock())).name = "Keep Me"
        async with h.sessions() as s:
            found = await s.get(Customer, acme.id)
            assert found is not None
            held = await personal.export_personal(s, found)
        assert held["customer"]["name"] == "Acme 华东"
        assert held["contacts"][0]["phone"] == "+8613800138000"  # decrypted for the person
        (interview,) = held["interviews"]
        assert interview["answered_by"] == "customer" and len(interview["answers"]) == 42
        assert held["consents"][0]["decision"] == "accepted"
        assert any("interview.complete" in line for line in held["audit"])

        async with h.sessions.begin() as s:
            found = await s.get(Customer, acme.id)
            assert found is not None
            removed = await personal.erase(s, found, actor="cli", channel="cli", now=clock())
        assert removed["answers"] == 42 and removed["contacts"] == 1
        assert removed["interviews"] == 1 and removed["consents"] == 1
        async with h.sessions() as s:
            erased = await s.get(Customer, acme.id)
            assert erased is not None and erased.name == f"erased #{acme.id}"
            assert (erased.industry, erased.budget, erased.tags) == (None, None, [])
            for model in (Answer, Interview, Consent, Invite):
                assert await s.scalar(select(func.count()).select_from(model)) == 0, model
            assert (await s.scalars(select(Contact.name))).all() == ["Keep Me"]
            entries = [e.action for e in await audit.entries(s, customer_id=acme.id)]
            assert entries[0] == "customer.erase" and "interview.start" not in entries
            assert await audit.verify_chain(s) is None  # the trail stays whole


async def test_retention_purges_finished_interviews_of_long_closed_customers(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        gone = await _answered(h, "Long Gone")
        recent = await _answered(h, "Recently Closed")
        still = await _answered(h, "Still A Customer")
        async with h.sessions.begin() as s:
            (await s.get(Customer, gone.id)).closed_at = clock() - timedelta(days=400)  # type: ignore[union-attr]
            (await s.get(Customer, recent.id)).closed_at = clock() - timedelta(days=30)  # type: ignore[union-attr]
        planner = Planner(load_policy(), "Asia/Shanghai", retention_months=12)
        async with h.sessions.begin() as s:
            await planner.plan(s, clock())
        async with h.sessions() as s:
            left = dict((await s.execute(select(Interview.customer_id, func.count())
                                         .group_by(Interview.customer_id))).all())
            assert left == {recent.id: 1, still.id: 1}
            assert await s.scalar(select(func.count()).select_from(Answer).where(
                Answer.customer_id == gone.id)) == 0
            newest = (await audit.entries(s, customer_id=gone.id, limit=1))[0]
            assert newest.action == "interview.purge"


async def test_one_person_can_be_exported_and_erased_leaving_the_company_record(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        acme = await _answered(h, "Acme")
        async with h.sessions() as s:
            (person,) = (await s.scalars(select(Contact))).all()
            held = await personal.export_contact(s, person)
        assert held["contact"]["phone"] == "+8613800138000"
        assert {r["field"] for r in held["recorded_in_interviews"]} == {
            "contact.name", "contact.title", "contact.decision_role", "contact.phone",
            "contact.department", "contact.email", "contact.messenger_id"}  # asked, some skipped
        async with h.sessions.begin() as s:
            person = await s.get(Contact, person.id)
            assert person is not None
            removed = await personal.erase_contact(s, person, actor="cli", channel="cli",
                                                   now=clock())
        assert removed == {"answers": 7, "contacts": 1}
        async with h.sessions() as s:
            assert (await s.scalars(select(Contact))).all() == []
            left = (await s.scalars(select(Answer.maps_to).where(
                Answer.customer_id == acme.id))).all()
            assert "deal.budget" in left and not any(
                (m or "").startswith("contact.") for m in left)
            customer = await s.get(Customer, acme.id)
            assert customer is not None and customer.budget == "500k_1m"  # the company stays
            assert await audit.verify_chain(s) is None


async def test_free_text_on_the_card_is_encrypted_at_rest(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 17 (5): a phone and an email typed into the problem description were stored
    in clear in customers.need_description."""
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Clear Text Ltd", REP)
            turn = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                         respondent=REP, language="en")
        said = "Call Li on 138 0013 8000 or li@example.com"
        answers = script(shipped()["pre_meeting"], {**scripts.PRE_MEETING, "problem_detail": said})
        await drive(h, turn.interview_id, answers)
        async with h.sessions() as s:
            need, budget, timeline = (await s.execute(text(
                "SELECT need_description, budget, timeline FROM customers WHERE id = :id"),
                {"id": customer.id})).one()
            name, title = (await s.execute(text(
                "SELECT name, title FROM contacts WHERE customer_id = :id"),
                {"id": customer.id})).one()
            found = await s.get(Customer, customer.id)
        for stored in (need, budget, timeline, name, title):
            assert stored.startswith("enc:") and "li@example.com" not in stored
        assert found is not None and found.need_description == said  # read back


async def test_a_skipped_answer_takes_back_what_it_wrote_to_the_card(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 17 (5): /back then /skip at the phone question left the phone on the contact."""
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Changed Mind", REP)
            turn = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                         respondent=REP, language="en")
        to_phone = script_to(shipped()["pre_meeting"], scripts.PRE_MEETING, "phone")
        await drive(h, turn.interview_id, [*to_phone, "138 0013 8000"])

        async def phone() -> tuple[str | None, str | None]:
            async with h.sessions() as s:
                contact = (await s.scalars(select(Contact).where(
                    Contact.customer_id == customer.id))).one()
                return contact.phone, contact.phone_index

        assert (await phone())[0] == "+8613800138000"
        await drive(h, turn.interview_id, ["/back", "/skip"])
        assert await phone() == (None, None)  # nor findable by its blind index
        async with h.sessions() as s:
            assert (await s.scalars(select(AuditEntry.fields).where(
                AuditEntry.action == "card.update").order_by(AuditEntry.id.desc()))
                    ).first() == ["contact.phone"]
