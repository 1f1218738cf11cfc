"""What gets scheduled, for whom, when — with a controlled clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduler.timing import at_local
from services.interview_service import Respondent
from storage import accounts, invites, reminders
from storage.models import Contact, Customer, Reminder, User
from tests.conftest import FakeClock
from tests.storage.helpers import REP as REP_KEY
from tests.storage.helpers import Harness, harness
from tests.storage.test_interviews import PRE_MEETING, debrief, drive, start

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def team(h: Harness) -> tuple[User, User, User]:
    async with h.sessions.begin() as s:
        admin = await accounts.add_user(s, telegram_id=9001, name="Admin", role="admin",
                                        now=h.clock())
        manager = await accounts.add_user(s, telegram_id=8001, name="Li Na", role="manager",
                                          now=h.clock())
        rep = await accounts.add_user(s, telegram_id=7001, name="Wang Fang", role="rep",
                                      now=h.clock(), manager_id=manager.id)
    return rep, manager, admin


async def owned(h: Harness, customer_id: int, owner: User) -> None:
    async with h.sessions.begin() as s:
        customer = await s.get(Customer, customer_id)
        assert customer is not None
        customer.owner_id = owner.id


async def pending(h: Harness, kind: str | None = None) -> list[Reminder]:
    async with h.sessions() as s:
        query = select(Reminder).where(Reminder.status == "pending").order_by(Reminder.id)
        if kind:
            query = query.where(Reminder.kind == kind)
        return list((await s.scalars(query)).all())


async def plan(h: Harness) -> None:
    async with h.sessions.begin() as s:
        await h.planner.plan(s, h.clock())


async def test_a_high_intent_customer_gets_a_follow_up_in_3_days_and_a_revisit(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, turn = await start(h)
        await owned(h, customer.id, rep)
        await drive(h, turn.interview_id, PRE_MEETING)  # timeline within a month: high
        (follow_up,) = await pending(h, "follow_up")
        assert follow_up.recipient_id == rep.id
        assert follow_up.due_at == clock.now + timedelta(days=3)  # 10:00 in Shanghai, kept
        assert follow_up.payload["note"]["en"] == "High intent: send a proposal within 3 days."
        (revisit,) = await pending(h, "revisit")
        assert revisit.due_at == at_local(date(2026, 11, 23) + timedelta(days=90), time(9),
                                          SHANGHAI)  # no grade yet: once a quarter
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None and card.revisit_due_on == date(2027, 2, 21)


async def test_the_reps_next_contact_date_becomes_a_follow_up_on_that_day(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, turn = await start(h, "post_call")
        await owned(h, customer.id, rep)
        await drive(h, turn.interview_id, debrief("2026-12-03"))  # medium priority: 1 month
        dues = sorted(r.due_at for r in await pending(h, "follow_up"))
        assert dues == [at_local(date(2026, 12, 3), time(9), SHANGHAI),
                        datetime(2026, 12, 23, 2, 0, tzinfo=UTC)]


async def test_a_follow_up_that_would_land_at_night_comes_that_days_morning(
        db_url: str, shipped_flows: dict) -> None:
    """"In 3 days" from a debrief at 22:30 is the third day, at the start of its working
    day — not 22:30 (quiet), and not the fourth day's morning (issue 24: the rule gives the
    day, working hours the time)."""
    late = FakeClock(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    async with harness(db_url, shipped_flows, late) as h:
        rep, _, _ = await team(h)
        customer, turn = await start(h)
        await owned(h, customer.id, rep)
        await drive(h, turn.interview_id, PRE_MEETING)
        (follow_up,) = await pending(h, "follow_up")
        assert follow_up.due_at == at_local(date(2026, 11, 26), time(9), SHANGHAI)


async def test_grade_a_customers_are_revisited_monthly_and_planning_twice_adds_nothing(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, _ = await start(h)
        async with h.sessions.begin() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            card.owner_id, card.grade = rep.id, "A"
        await plan(h)
        await plan(h)
        (revisit,) = await pending(h, "revisit")
        assert revisit.payload["due_on"] == "2026-12-23"


async def test_a_birthday_is_remembered_ten_days_ahead_once(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, _ = await start(h)
        async with h.sessions.begin() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            card.owner_id = rep.id
            s.add(Contact(customer_id=customer.id, name="Zhou", birthday=date(1985, 12, 5),
                          created_at=clock.now, updated_at=clock.now))
            s.add(Contact(customer_id=customer.id, name="Later", birthday=date(1985, 1, 30),
                          created_at=clock.now, updated_at=clock.now))
        await plan(h)
        assert await pending(h, "birthday") == []  # the reminder day (25 Nov) is not tomorrow
        clock.advance(days=1)
        await plan(h)
        clock.advance(hours=3)
        await plan(h)
        (birthday,) = await pending(h, "birthday")
        assert "birthday" not in birthday.payload  # the date stays encrypted in contacts
        assert birthday.dedupe_key.endswith(":2026")
        assert birthday.due_at == at_local(date(2026, 11, 25), time(9), SHANGHAI)


async def test_an_unanswered_invite_nudges_the_customer_once_and_tells_the_rep(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, _ = await start(h)
        async with h.sessions.begin() as s:
            invite, _token = await invites.create(s, customer_id=customer.id,
                                                  flow_id="pre_meeting", created_by=rep.id,
                                                  now=clock.now, valid_for=timedelta(days=14))
            invite.telegram_id = 5001  # opened, never finished
        clock.advance(hours=47)
        await plan(h)
        # (the interview the customer left open was nudged after 24 hours: _nudges)
        assert all(r.kind in ("revisit", "weekly_report", "nudge") for r in await pending(h))
        clock.advance(hours=2)
        await plan(h)
        await plan(h)
        nudges = await pending(h, "invite_nudge")
        told = await pending(h, "invite_unanswered")
        assert [r.recipient_chat for r in nudges] == [5001]
        assert [(r.recipient_id, r.payload["opened"]) for r in told] == [(rep.id, True)]


async def test_managers_get_one_digest_a_day_and_long_overdue_ones_escalate(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    clock.now = at_local(date(2026, 11, 23), time(8, 0), SHANGHAI)
    async with harness(db_url, shipped_flows, clock) as h:
        rep, manager, admin = await team(h)
        for name, days in (("Late Ltd", 3), ("Very Late Ltd", 20), ("Fine Ltd", -5)):
            customer, _ = await start(h, name=name)
            async with h.sessions.begin() as s:
                card = await s.get(Customer, customer.id)
                assert card is not None
                card.owner_id = rep.id
                card.revisit_due_on = date(2026, 11, 23) - timedelta(days=days)
        await plan(h)
        assert await pending(h, "digest") == []  # 08:00: before the digest hour
        clock.advance(hours=1, minutes=30)
        await plan(h)
    async with harness(db_url, shipped_flows, clock) as h:  # a restart the same day
        await plan(h)
        digests = {r.recipient_id: r for r in await pending(h, "digest")}
        assert set(digests) == {manager.id, admin.id}  # admins get the company-wide one
        assert [(line["customer"], line["days"]) for line in digests[manager.id].payload[
            "lines"]] == [("Very Late Ltd", 20), ("Late Ltd", 3)]
        (escalation,) = await pending(h, "escalation")
        assert (escalation.recipient_id, escalation.payload["days"]) == (admin.id, 20)
        clock.advance(days=1)
        await plan(h)
        assert len(await pending(h, "digest")) == 4  # one more each, the next day


async def test_reassigning_a_customer_moves_its_pending_reminders(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        rep, manager, _ = await team(h)
        customer, turn = await start(h)
        await owned(h, customer.id, rep)
        await drive(h, turn.interview_id, PRE_MEETING)
        async with h.sessions.begin() as s:
            moved = await reminders.move_pending(s, [customer.id], manager.id, clock.now)
        assert moved == 2
        assert {r.recipient_id for r in await pending(h)} == {manager.id}


async def test_after_a_long_outage_stale_birthday_reminders_expire_and_the_rest_go_out(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    from chat.actions import Action
    from scheduler.dispatcher import Dispatcher

    sent: list[Action] = []

    async def perform(action: Action) -> int:
        sent.append(action)
        return len(sent)

    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        async with h.sessions.begin() as s:
            for kind, days_late in (("birthday", 11), ("follow_up", 30)):
                await reminders.schedule(s, kind=kind, dedupe_key=f"{kind}:x",
                                         due_at=clock.now - timedelta(days=days_late),
                                         now=clock.now, recipient_id=rep.id,
                                         payload={"contact_id": 0, "birthday": "2026-11-12"})
        dispatcher = Dispatcher(h.sessions, perform, h.clock, h.planner, h.planner.policy)
        stats = await dispatcher.tick()
        assert (stats.expired, stats.sent) == (1, 1)  # a month-late follow-up still matters
        async with h.sessions() as s:
            rows = {r.kind: r for r in (await s.scalars(select(Reminder))).all()}
        assert rows["birthday"].status == "expired"
        assert rows["birthday"].last_error is not None
        assert rows["birthday"].last_error.startswith("expired: 10 days past due")
        assert rows["follow_up"].status == "sent" and rows["follow_up"].sent_message_id == 1


async def test_a_snooze_pressed_before_the_send_is_recorded_is_not_overwritten(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    from chat.actions import Action
    from scheduler.dispatcher import Dispatcher

    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        async with h.sessions.begin() as s:
            await reminders.schedule(s, kind="follow_up", dedupe_key="fast:1", due_at=clock.now,
                                     now=clock.now, recipient_id=rep.id)

        async def perform(_action: Action) -> int:
            async with h.sessions.begin() as s:  # the rep presses Snooze at once
                (row,) = (await s.scalars(select(Reminder))).all()
                row.status = "snoozed"
            return 1

        await Dispatcher(h.sessions, perform, h.clock, h.planner, h.planner.policy).tick()
        async with h.sessions() as s:
            assert (await s.scalars(select(Reminder.status))).all() == ["snoozed"]


async def test_managers_get_a_weekly_report_once_a_week_with_its_chart(
        db_url: str, shipped_flows: dict) -> None:
    """Monday 09:00 in Shanghai: one report per manager per ISO week, sent as the chart
    (drawn when sent) and then the summary; Tuesday's passes add nothing."""
    from chat.actions import Action, Send, SendFile
    from scheduler.dispatcher import Dispatcher

    sunday = FakeClock(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))  # 20:00 Sunday in Shanghai
    sent: list[Action] = []

    async def perform(action: Action) -> int:
        sent.append(action)
        return len(sent)

    async with harness(db_url, shipped_flows, sunday) as h:
        _, manager, admin = await team(h)
        dispatcher = Dispatcher(h.sessions, perform, h.clock, h.planner, h.planner.policy,
                                flows=shipped_flows)

        async def weekly() -> list[Reminder]:
            async with h.sessions.begin() as s:
                await h.planner.plan(s, h.clock())
            async with h.sessions() as s:
                return list((await s.scalars(select(Reminder).where(
                    Reminder.kind == "weekly_report"))).all())

        assert await weekly() == []  # Sunday: not yet
        sunday.now = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Monday 08:30 local
        assert await weekly() == []  # before the hour
        sunday.now = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)  # Monday 09:05 local
        reports = await weekly()
        assert {r.recipient_id for r in reports} == {manager.id, admin.id}
        assert all(r.dedupe_key.endswith(":2026-W48") for r in reports)
        sunday.now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday
        assert len(await weekly()) == 2
        await dispatcher.tick()
        chart, summary = [a for a in sent if getattr(a, "chat_id", None) == 8001]
        assert isinstance(chart, SendFile) and chart.chart is not None and chart.photo
        assert chart.chart["period"] == ["2026-11-18", "2026-11-24"]
        assert isinstance(summary, Send) and summary.text.startswith("📊 ")
        assert chart.caption == summary.text.split("\n")[0]
        async with h.sessions() as s:
            assert (await s.scalars(select(Reminder.status).where(
                Reminder.kind == "weekly_report"))).all() == ["sent", "sent"]


async def test_an_overdue_revisit_keeps_pinging_and_reaches_the_manager(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 14: an overdue revisit pinged the rep once, on the due day, never again. Now:
    every 3 days (policy), the manager from 7 days on, never twice a day, never at night."""
    clock.now = at_local(date(2026, 11, 23), time(22, 0), SHANGHAI)  # in the quiet hours
    async with harness(db_url, shipped_flows, clock) as h:
        rep, manager, _ = await team(h)
        customer, _ = await start(h, name="Late Ltd")
        async with h.sessions.begin() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            card.owner_id, card.revisit_due_on = rep.id, date(2026, 11, 20)  # 3 days late

        async def pings() -> list[tuple[int | None, int, str]]:
            async with h.sessions() as s:
                rows = await s.scalars(select(Reminder).where(
                    Reminder.kind.in_(("overdue", "overdue_team"))).order_by(Reminder.id))
                return [(r.recipient_id, r.payload["days"],
                         r.due_at.astimezone(SHANGHAI).strftime("%d %H:%M")) for r in rows]

        await plan(h)
        await plan(h)  # twice the same evening: one ping
        assert await pings() == [(rep.id, 3, "24 08:30")]  # held until the morning
        clock.advance(days=1)
        await plan(h)
        assert len(await pings()) == 1  # day 4: not yet
        clock.advance(days=2)
        await plan(h)
        assert [p[:2] for p in await pings()] == [(rep.id, 3), (rep.id, 6)]
        clock.advance(days=1)
        await plan(h)  # day 7: the manager hears of it
        assert [p[:2] for p in await pings()] == [(rep.id, 3), (rep.id, 6), (manager.id, 7)]


async def test_an_unfinished_interview_gets_a_nudge_then_at_most_two_more(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 14: a half-finished debrief or questionnaire was never nudged. A rep's after
    4 hours, a customer's after 24 (policy); then every 24 hours, at most 2 more; an answer
    starts the count anew; a finished interview's nudge is never sent."""
    clock.now = at_local(date(2026, 11, 23), time(10, 0), SHANGHAI)
    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, _ = await start(h, name="Nudge Ltd")
        async with h.sessions.begin() as s:
            turn = await h.service.begin(
                s, customer_id=customer.id, flow_id="post_call", language="en",
                respondent=Respondent("tg:7001", "telegram", rep.id))
        await drive(h, turn.interview_id, ["1"])

        async def nudges() -> list[str]:
            async with h.sessions() as s:
                return [r.dedupe_key.rsplit(":", 1)[1] for r in await s.scalars(
                    select(Reminder).where(Reminder.kind == "nudge",
                                           Reminder.recipient_id == rep.id)
                    .order_by(Reminder.id))]

        clock.advance(hours=3)
        await plan(h)
        assert await nudges() == []
        clock.advance(hours=2)
        await plan(h)
        await plan(h)
        assert await nudges() == ["0"]
        for _ in range(4):  # four more days idle: two more nudges, then no more
            clock.advance(days=1)
            await plan(h)
        assert await nudges() == ["0", "1", "2"]
        await drive(h, turn.interview_id, ["Zhang San"])  # answering starts anew
        clock.advance(hours=5)
        await plan(h)
        assert await nudges() == ["0", "1", "2", "0"]


async def test_one_follow_up_a_day_across_two_debriefs_and_a_merge(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 24 (5): priority 高 and "in 3 days" gave two follow-ups on one day; a later
    debrief added to an earlier one's; a merge made three; tags piled up (中优先级, 低优先级)."""
    from services.record_merge import merge_records
    from tests import scripts
    from tests.scripts import script, shipped

    async with harness(db_url, shipped_flows, clock) as h:
        rep, _, _ = await team(h)
        customer, turn = await start(h, "post_call")
        await owned(h, customer.id, rep)
        await drive(h, turn.interview_id, script(shipped()["post_call"], scripts.POST_CALL))
        (first,) = await pending(h, "follow_up")  # high: 3 days; agreed: in 3 days — one
        assert first.due_at == at_local(date(2026, 11, 26), time(9), SHANGHAI)
        assert first.payload["note"]["en"].startswith("Contact the customer on the date")

        clock.advance(days=1)
        _, again = await start_on(h, customer.id)
        await drive(h, again.interview_id, debrief("2026-12-10"))  # medium, 10 December
        later = await pending(h, "follow_up")
        assert sorted(r.due_at.astimezone(SHANGHAI).date() for r in later) == [
            date(2026, 12, 10), date(2026, 12, 24)]  # the first debrief's plan gave way
        async with h.sessions() as s:
            card = await s.get(Customer, customer.id)
            assert card is not None
            assert [t for t in card.tags if t.startswith("priority:")] == ["priority:medium"]

        twin, twin_turn = await start(h, "post_call", "Acme")
        await owned(h, twin.id, rep)
        await drive(h, twin_turn.interview_id, debrief("2026-12-10"))
        async with h.sessions.begin() as s:
            kept, duplicate = await s.get(Customer, customer.id), await s.get(Customer, twin.id)
            assert kept is not None and duplicate is not None
            await merge_records(s, duplicate, kept, actor="cli", channel="cli", now=clock(),
                                planner=h.planner)
        days = [r.due_at.astimezone(SHANGHAI).date() for r in await pending(h, "follow_up")]
        assert sorted(days) == [date(2026, 12, 10), date(2026, 12, 24)]  # one a day


async def start_on(h: Harness, customer_id: int) -> tuple[int, Any]:
    async with h.sessions.begin() as s:
        turn = await h.service.begin(s, customer_id=customer_id, flow_id="post_call",
                                     respondent=REP_KEY, language="en")
    return customer_id, turn
