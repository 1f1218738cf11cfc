"""APScheduler wakes the planner and the dispatcher; it never holds a reminder.

Jobs live in memory and are recreated at every start (the database is the queue),
so nothing is pickled and a job that could not run on time is simply run at the
next wake-up: misfire grace and coalescing are set explicitly for that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.clock import Clock
from scheduler.dispatcher import Dispatcher, Stats
from scheduler.hook_delivery import HookDeliverer
from scheduler.planning import Planner

log = logging.getLogger(__name__)
PLAN_EVERY_SECONDS = 300
DISPATCH_EVERY_SECONDS = 2  # one indexed query when nothing is due; lateness is at most this
TIDY_EVERY = timedelta(hours=1)


@dataclass
class ReminderRuntime:
    sessions: async_sessionmaker[AsyncSession]
    planner: Planner
    dispatcher: Dispatcher
    clock: Clock
    running: set[asyncio.Task[None]] = field(default_factory=set)  # the jobs in progress
    # the deal-warnings pass (services.deal_watch), run after each planning in its own
    # transaction: a failure there never stops reminders
    watch: Callable[[AsyncSession, datetime], Awaitable[object]] | None = None
    hooks: HookDeliverer | None = None  # webhooks, on their own job and tasks
    # clearing out what is kept only for a while (the inbox's handled updates), at most once
    # every TIDY_EVERY after a planning, in its own transaction
    tidy: Callable[[AsyncSession, datetime], Awaitable[int]] | None = None
    tidied_at: datetime | None = None

    async def drain(self, seconds: float) -> None:
        """Let the jobs in progress finish (a pass cut short leaves its reminders leased
        until the lease runs out, so a restart would send them late); webhook deliveries
        still in flight after that are cut short (they go again, with the same event id)."""
        busy: set[asyncio.Task[Any]] = set(self.running)
        if self.hooks is not None:
            busy |= {t for t in self.hooks.draining.values() if not t.done()}
        if busy:
            await asyncio.wait(busy, timeout=seconds)
        if self.hooks is not None:
            await self.hooks.close()


    async def plan(self) -> None:
        async with self.sessions.begin() as session:
            await self.planner.plan(session, self.clock())
        if self.watch is not None:
            try:
                async with self.sessions.begin() as session:
                    await self.watch(session, self.clock())
            except Exception:
                log.exception("the deal-warnings pass failed; the next planning retries")
        await self._tidy()

    async def _tidy(self) -> None:
        now = self.clock()
        if self.tidy is None or (self.tidied_at is not None
                                 and now - self.tidied_at < TIDY_EVERY):
            return
        try:
            async with self.sessions.begin() as session:
                gone = await self.tidy(session, now)
            self.tidied_at = now
            if gone:
                log.info("inbox: %s handled updates older than a week cleared", gone)
        except Exception:
            log.exception("clearing the inbox failed; the next planning retries")

    async def tick(self) -> Stats:
        """One full pass, as `interview-bot reminders tick` runs it: plan, then send."""
        await self.plan()
        return await self.dispatcher.tick()


def _tracked(runtime: ReminderRuntime) -> None:
    task = asyncio.current_task()
    if task is not None:
        runtime.running.add(task)
        task.add_done_callback(runtime.running.discard)


async def plan_job(runtime: ReminderRuntime) -> None:
    _tracked(runtime)
    try:
        await runtime.plan()
    except Exception:
        log.exception("reminder planning failed; the next run retries")


async def dispatch_job(runtime: ReminderRuntime) -> None:
    _tracked(runtime)
    try:
        stats = await runtime.dispatcher.tick()
        if stats.sent or stats.failed or stats.expired:
            log.info("reminders: %s", stats)
    except Exception:
        log.exception("reminder dispatch failed; the next run retries")


async def hooks_job(runtime: ReminderRuntime) -> None:
    if runtime.hooks is None:
        return
    try:
        await runtime.hooks.tick()
    except Exception:
        log.exception("webhook delivery failed; the next run retries")


def start_scheduler(runtime: ReminderRuntime) -> AsyncIOScheduler:
    """APScheduler wakes the jobs on real time (its own timer); what is due is decided by
    `runtime.clock`. The first run is now, on APScheduler's clock: a clock that reads
    another moment (a test's) must not postpone it to that moment."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    first = datetime.now(UTC)
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    scheduler.add_job(plan_job, "interval", seconds=PLAN_EVERY_SECONDS, args=[runtime],
                      id="reminders.plan", misfire_grace_time=PLAN_EVERY_SECONDS,
                      next_run_time=first, **common)
    scheduler.add_job(dispatch_job, "interval", seconds=DISPATCH_EVERY_SECONDS, args=[runtime],
                      id="reminders.dispatch", misfire_grace_time=DISPATCH_EVERY_SECONDS * 6,
                      next_run_time=first, **common)
    if runtime.hooks is not None:
        scheduler.add_job(hooks_job, "interval", seconds=DISPATCH_EVERY_SECONDS, args=[runtime],
                          id="hooks.deliver", misfire_grace_time=DISPATCH_EVERY_SECONDS * 6,
                          next_run_time=first, **common)
    scheduler.start()
    return scheduler
