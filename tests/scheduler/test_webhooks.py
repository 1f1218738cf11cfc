"""Webhooks: events written with their changes reach a real HTTP receiver, signed, once
each, in order per customer, through an outage, errors, a slow neighbour and a dead letter."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from chat.actions import Action
from chat.delivery import DeliveryError
from scheduler.dispatcher import Dispatcher
from scheduler.hook_delivery import RETRY_FOR, HookDeliverer, HookStats
from services import events, webhooks
from storage.models import AuditEntry, HookDelivery, OutboxEvent
from tests import scripts
from tests.conftest import FakeClock
from tests.hook_receiver import Receiver, readme_verify
from tests.scheduler.test_planning import team
from tests.scripts import script, shipped
from tests.storage.helpers import REP, Harness, harness
from tests.storage.test_interviews import drive

CLI = {"actor": "cli", "channel": "cli"}


async def _endpoint(h: Harness, receiver: Receiver, kinds: str = "*",
                    personal: bool = False) -> webhooks.Registered:
    async with h.sessions.begin() as s:
        return await webhooks.add(s, url=receiver.url, events=kinds, personal=personal,
                                  now=h.clock(), **CLI)


async def _until_settled(deliverer: HookDeliverer, clock: FakeClock, h: Harness,
                         step_minutes: float = 1, rounds: int = 300) -> HookStats:
    """Passes a minute apart until nothing is pending."""
    total = HookStats()
    for _ in range(rounds):
        total.add(await deliverer.run_once())
        async with h.sessions() as s:
            if await s.scalar(select(HookDelivery.id).where(
                    HookDelivery.status.in_(("pending", "waiting"))).limit(1)) is None:
                return total
        clock.advance(minutes=step_minutes)
    raise AssertionError("deliveries still pending")


async def test_an_outage_then_errors_lose_nothing_and_keep_each_customers_order(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    receiver = Receiver(status=lambda n: 500 if n < 5 else 200)  # not up yet
    async with harness(db_url, shipped_flows, clock) as h:
        added = await _endpoint(h, receiver)
        async with h.sessions.begin() as s:
            customers = [await h.service.create_customer(s, f"华东精密 {i}", REP)
                         for i in range(3)]
        for grade in "ABC":
            async with h.sessions.begin() as s:
                for customer in customers:
                    customer.grade = grade
                    events.card_changed(s, customer, {"customer.grade": grade}, "test", clock())
            clock.advance(seconds=30)
        deliverer = HookDeliverer(h.sessions, clock, timeout=2)
        try:
            first = await deliverer.run_once()
            assert (first.sent, first.retried) == (0, 3)  # one head per customer, refused
            for _ in range(10):  # ten minutes with nobody listening
                clock.advance(minutes=1)
                await deliverer.run_once()
            assert receiver.got == []
            await receiver.up()  # back, answering 500 five times first
            total = await _until_settled(deliverer, clock, h)
        finally:
            await deliverer.close()
            await receiver.down()
        async with h.sessions() as s:
            written = list((await s.execute(select(OutboxEvent.event_id, OutboxEvent.customer_id)
                                            .order_by(OutboxEvent.id))).all())
    accepted = receiver.accepted()
    assert total.sent == len(written) == 12 and total.dead == 0
    assert sorted(e["id"] for e in accepted) == sorted(e for e, _ in written)  # once each
    per_customer: dict[int, list[str]] = defaultdict(list)
    for event_id, customer_id in written:
        per_customer[customer_id].append(event_id)
    arrived: dict[int, list[str]] = defaultdict(list)
    for event in accepted:
        arrived[event["customer_id"]].append(event["id"])
    assert arrived == per_customer  # each customer's events in the order they happened
    assert [e["data"]["card"] for e in accepted if e["customer_id"] == customers[0].id
            and e["type"] == "card.changed"] == [{"customer.grade": g} for g in "ABC"]
    verify = readme_verify(added.secret)
    last = receiver.got[-1]
    assert verify(last.headers["X-Interview-Signature"], last.body)
    assert not verify(last.headers["X-Interview-Signature"], last.body + b" ")
    assert not verify(last.headers["X-Interview-Signature"], last.body, now=time.time() + 600)
    assert last.headers["X-Interview-Event-Id"] == last.event["id"]


async def test_personal_data_goes_only_where_the_admin_allowed_it_and_is_audited(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    crm, bi = Receiver(), Receiver()
    await crm.up()
    await bi.up()
    async with harness(db_url, shipped_flows, clock) as h:
        trusted = await _endpoint(h, crm, "interview.completed", personal=True)
        await _endpoint(h, bi, "interview.completed,customer.created")
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Acme 有限公司", REP)
            turn = await h.service.begin(s, customer_id=customer.id, flow_id="post_call",
                                         respondent=REP, language="en")
        await drive(h, turn.interview_id, script(shipped()["post_call"], scripts.POST_CALL))
        deliverer = HookDeliverer(h.sessions, clock)
        try:
            stats = await deliverer.run_once()
        finally:
            await deliverer.close()
            await crm.down()
            await bi.down()
        async with h.sessions() as s:
            audits = list((await s.scalars(select(AuditEntry).where(
                AuditEntry.action == "personal.deliver"))).all())
    assert stats.sent == 3  # the completion to both, the new customer to the BI only
    assert [e["type"] for e in crm.accepted()] == ["interview.completed"]
    assert [e["type"] for e in bi.accepted()] == ["customer.created", "interview.completed"]
    full, partial = crm.accepted()[0]["data"], bi.accepted()[1]["data"]
    assert full["card"]["contact.name"] == "Zhang San"
    assert {a["question_id"] for a in full["answers"]["background"]} >= {"met_name", "call_type"}
    assert "contact.name" not in partial["card"] and "withheld" in partial
    assert "met_name" not in {a["question_id"] for a in partial["answers"]["background"]}
    assert "Zhang San" not in bi.got[1].body.decode()
    assert partial["answers"]["background"][0]["question_id"] == "call_type"
    assert [(a.actor, a.entity_id, a.channel) for a in audits] == [
        (f"hook:{trusted.id}", str(customer.id), "webhook")]


async def test_a_refusal_is_dead_at_once_and_replays_after_the_fix(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    receiver = Receiver(status=lambda n: 401 if n == 0 else 204)
    await receiver.up()
    async with harness(db_url, shipped_flows, clock) as h:
        await _endpoint(h, receiver)
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Acme", REP)
        deliverer = HookDeliverer(h.sessions, clock)
        try:
            assert (await deliverer.run_once()).dead == 1
            async with h.sessions() as s:
                [dead] = await webhooks.dead_letters(s)
            assert dead.error == "HTTP 401: noted" and dead.customer_id == customer.id
            async with h.sessions.begin() as s:
                assert await webhooks.replay(s, [dead.delivery_id], now=clock(), **CLI) == 1
            assert (await deliverer.run_once()).sent == 1
        finally:
            await deliverer.close()
            await receiver.down()
    assert [r.event["id"] for r in receiver.got] == [dead.event_id, dead.event_id]


async def test_a_day_of_failures_ends_in_the_dead_letters(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    receiver = Receiver(status=lambda _n: 503)
    await receiver.up()
    async with harness(db_url, shipped_flows, clock) as h:
        await _endpoint(h, receiver)
        async with h.sessions.begin() as s:
            await h.service.create_customer(s, "Acme", REP)
            await h.service.create_customer(s, "Beta", REP)
        deliverer = HookDeliverer(h.sessions, clock)
        try:
            total = await _until_settled(deliverer, clock, h, step_minutes=30, rounds=60)
        finally:
            await deliverer.close()
            await receiver.down()
        async with h.sessions() as s:
            letters = await webhooks.dead_letters(s)
    assert total.dead == 2 and total.sent == 0
    assert all(d.error == "HTTP 503: noted" and 40 <= d.attempts <= 60 for d in letters)
    assert clock() - letters[0].created_at >= RETRY_FOR - timedelta(minutes=30)


async def test_a_slow_receiver_delays_only_itself(db_url: str, shipped_flows: dict,
                                                  clock: FakeClock) -> None:
    slow, fast = Receiver(hold=asyncio.Event()), Receiver()
    await slow.up()
    await fast.up()
    async with harness(db_url, shipped_flows, clock) as h:
        await _endpoint(h, slow)
        await _endpoint(h, fast)
        async with h.sessions.begin() as s:
            for i in range(12):
                await h.service.create_customer(s, f"Customer {i}", REP)
        deliverer = HookDeliverer(h.sessions, clock)
        try:
            await deliverer.tick()  # as the scheduler does: it does not wait for the drains
            await fast.until(12)  # while the slow one has not answered anything
            assert slow.answered == 0 and len(slow.got) == 8  # its first eight in flight
            assert slow.hold is not None
            slow.hold.set()
            await asyncio.gather(*deliverer.draining.values())
        finally:
            await deliverer.close()
            await slow.down()
            await fast.down()
    assert slow.answered == 12


async def test_a_paused_endpoint_waits_and_a_removed_one_gets_nothing_more(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    receiver = Receiver()
    await receiver.up()
    async with harness(db_url, shipped_flows, clock) as h:
        added = await _endpoint(h, receiver)
        async with h.sessions.begin() as s:
            await webhooks.change(s, added.id, "pause", now=clock(), **CLI)
            await h.service.create_customer(s, "Acme", REP)
        deliverer = HookDeliverer(h.sessions, clock)
        try:
            assert (await deliverer.run_once()).sent == 0
            async with h.sessions.begin() as s:
                await webhooks.change(s, added.id, "resume", now=clock(), **CLI)
            assert (await deliverer.run_once()).sent == 1
            async with h.sessions.begin() as s:
                await h.service.create_customer(s, "Beta", REP)
                assert await webhooks.change(s, added.id, "remove", now=clock(), **CLI) == 0
            assert (await deliverer.run_once()).sent == 0
            async with h.sessions() as s:
                views = await webhooks.listing(s, removed=True)
                actions = list(await s.scalars(select(AuditEntry.action).where(
                    AuditEntry.entity == "hook").order_by(AuditEntry.id)))
        finally:
            await deliverer.close()
            await receiver.down()
    assert [e["data"]["customer"]["name"] for e in receiver.accepted()] == ["Acme"]
    assert views[0].status == "removed" and (views[0].sent, views[0].pending) == (1, 0)
    assert actions == ["hook.add", "hook.pause", "hook.resume", "hook.remove"]


async def test_bad_registrations_say_what_is_expected(db_url: str, shipped_flows: dict,
                                                      clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h, h.sessions.begin() as s:
        for url, kinds, expected in [
                ("crm.example.com/hooks", "*", "expected http(s)://host/path"),
                ("https://crm.example.com/hooks", "interview.done",
                 "unknown event 'interview.done': expected one of interview.completed"),
                ("https://crm.example.com/hooks", " , ", "no events given")]:
            try:
                await webhooks.add(s, url=url, events=kinds, personal=False, now=clock(), **CLI)
            except webhooks.HookError as exc:
                assert expected in str(exc)
            else:
                raise AssertionError(f"{url} {kinds} accepted")


async def test_an_overdue_ping_is_one_event_however_often_it_is_tried(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    receiver = Receiver()
    await receiver.up()
    tries = 0

    async def flaky(action: Action) -> int:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise DeliveryError("transient", "the chat network hiccuped")
        return tries

    clock.now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        added = await _endpoint(h, receiver, "reminder.overdue")
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Late Ltd", REP)
            customer.owner_id, customer.revisit_due_on = rep.id, date(2026, 11, 20)
        async with h.sessions.begin() as s:
            await h.planner.plan(s, clock())
        dispatcher = Dispatcher(h.sessions, flaky, h.clock, h.planner, h.planner.policy)
        assert (await dispatcher.tick()).retried == 1
        clock.advance(minutes=1)
        assert (await dispatcher.tick()).sent == 1
        deliverer = HookDeliverer(h.sessions, clock)
        try:
            assert (await deliverer.run_once()).sent == 1
        finally:
            await deliverer.close()
            await receiver.down()
    [event] = receiver.accepted()
    assert event["type"] == "reminder.overdue" and added.id == 1
    assert event["data"] == {"customer_id": customer.id, "owner_id": rep.id,
                             "due_on": "2026-11-20", "days_overdue": 3}
