"""Dispatching through the real aiogram client to the local Bot API server, with faults."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, insert, select

from bot.raw_send import RawSender
from chat.clock import system_clock
from interview_bot.serve import ClientOnFirstUse
from scheduler.dispatcher import Dispatcher
from scheduler.planning import Planner
from scheduler.policy import QuietHours, load_policy
from scheduler.rate_limit import RateLimiter
from storage import migrate
from storage.database import create_engine, session_factory
from storage.models import Account, Customer, Reminder, User
from tests.local_bot_api import TOKEN, LocalBotApi

FIRST_CHAT = 100_000


async def seed(url: str, count: int, due_offset: timedelta = timedelta(minutes=-1)) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    now = system_clock()
    async with session_factory(engine).begin() as s:
        manager = User(name="Boss", role="manager", language="en", active=True,
                       created_at=now)
        s.add(manager)
        customer = Customer(name="Acme", name_key="acme", tags=[], created_at=now, updated_at=now)
        s.add(customer)
        await s.flush()
        await s.execute(insert(User), [
            {"name": f"Rep {i}", "role": "rep", "language": "en",
             "active": True, "created_at": now, "manager_id": manager.id} for i in range(count)])
        ids = (await s.scalars(select(User.id).where(User.role == "rep").order_by(User.id))).all()
        chats = {manager.id: 99} | {user_id: FIRST_CHAT + i for i, user_id in enumerate(ids)}
        await s.execute(insert(Account), [  # rep i is reached at Telegram chat FIRST_CHAT + i
            {"channel": "telegram", "external_id": str(chat), "address": chat,
             "user_id": user_id, "language": "en", "language_chosen": False, "created_at": now,
             "updated_at": now} for user_id, chat in chats.items()])
        await s.execute(insert(Reminder), [
            {"kind": "follow_up", "customer_id": customer.id, "recipient_id": user_id,
             "due_at": now + due_offset, "status": "pending", "attempts": 0,
             "dedupe_key": f"test:{user_id}", "payload": {"note": f"r{user_id}"},
             "created_at": now, "updated_at": now} for user_id in ids])
    await engine.dispose()


def never_quiet() -> Planner:
    policy = load_policy().model_copy(update={"quiet_hours": QuietHours(start="00:00",
                                                                        end="00:00")})
    return Planner(policy, "Asia/Shanghai")


async def dispatch_all(url: str, api: LocalBotApi, per_second: float = 0.0) -> float:
    """Tick until nothing is pending; returns the seconds it took."""
    engine = create_engine(url)
    runtime = ClientOnFirstUse("aiogram", TOKEN, api.base_url)
    sender = RawSender(api.base_url, TOKEN, runtime.perform)  # as the bot sends reminders
    planner = never_quiet()
    dispatcher = Dispatcher(session_factory(engine), sender.perform, system_clock, planner,
                            planner.policy, RateLimiter(per_second=per_second))
    started = time.monotonic()
    try:
        for _ in range(200):
            await dispatcher.tick()
            async with session_factory(engine)() as s:
                left = await s.scalar(select(func.count()).select_from(Reminder)
                                      .where(Reminder.status == "pending"))
            if not left:
                return time.monotonic() - started
            await _sleep(0.2)
        raise AssertionError(f"{left} reminders still pending")
    finally:
        await sender.close()
        await runtime.close()
        await engine.dispose()


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_faults_over_10000_reminders_lose_none_and_respect_retry_after(
        db_url: str) -> None:
    count = 10_000
    await seed(db_url, count)
    api = LocalBotApi()
    await api.start()
    # 5 reps blocked the bot: their reminders go to the manager, one a second (Telegram's
    # pace for one chat), so each costs the test a second
    blocked = {FIRST_CHAT + i for i in range(0, count, 2_000)}
    api.blocked |= blocked
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", times=3, retry_after=1)
    api.fail("sendMessage", 502, "Bad Gateway", times=100)
    try:
        await dispatch_all(db_url, api)
    finally:
        await api.stop()
    delivered: dict[int, int] = defaultdict(int)
    for call in api.sent():
        delivered[int(call.params["chat_id"])] += 1
    reps = {FIRST_CHAT + i for i in range(count)}
    assert {c for c in reps - blocked if delivered[c] != 1} == set()  # each exactly once
    assert not any(delivered[c] for c in blocked)
    assert delivered[99] == len(blocked)  # the manager got what the blocked reps could not
    # nothing went to a chat before its retry_after ended
    sends = api.calls_of("sendMessage")
    for i, call in enumerate(sends):
        if call.status == 429:
            chat = call.params["chat_id"]
            later = [c for c in sends[i + 1:] if c.params["chat_id"] == chat]
            assert later and later[0].at - call.at >= 1.0
    engine = create_engine(db_url)
    async with session_factory(engine)() as s:
        statuses = dict((await s.execute(select(Reminder.status, func.count())
                                         .group_by(Reminder.status))).all())
    await engine.dispose()
    assert statuses == {"sent": count - len(blocked) + len(blocked), "redirected": len(blocked)}
