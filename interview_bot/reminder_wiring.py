"""The reminder side of a running bot: the scheduler with its dispatcher, the deal-warnings
pass and the webhook deliverer, and on SQLite the one-dispatcher lock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.channels import routed
from bot.raw_send import PRODUCTION_API, RawSender
from chat.clock import Clock
from chat.delivery import Perform
from interview_bot.app import App
from interview_bot.settings import Settings
from scheduler.dispatcher import Dispatcher
from scheduler.hook_delivery import HookDeliverer
from scheduler.jobs import ReminderRuntime, start_scheduler
from scheduler.rate_limit import RateLimiter
from scheduler.single_dispatcher import DispatcherLock
from services.deal_watch import watch_deals
from storage import inbox
from storage.database import is_sqlite

SHUTDOWN_GRACE_SECONDS = 10.0


class ReminderRunner:
    """Reminders inside the bot process: the scheduler, and on SQLite the dispatcher lock."""

    def __init__(self, settings: Settings, app: App, performers: Mapping[str, Perform | None],
                 clock: Clock, limiter: RateLimiter) -> None:
        """`performers`: the bot's own, Telegram's already over plain HTTP (`raw_sender`)."""
        self.settings, self.app = settings, app
        perform = routed(app.sessions, performers)
        self.runtime = reminder_runtime(settings, app, perform, clock, limiter)
        self.lock: DispatcherLock | None = None
        self.scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        if not self.settings.reminders.enabled:
            return
        self.lock = sqlite_dispatcher_lock(self.app.engine)
        if self.lock is not None and self.runtime.hooks is not None:
            self.runtime.hooks.leases_are_stale = True  # the only dispatcher of this file
        self.scheduler = start_scheduler(self.runtime)

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.pause()  # no new passes; the one in progress finishes
            await self.runtime.drain(SHUTDOWN_GRACE_SECONDS)
            self.scheduler.shutdown(wait=False)
        if self.lock is not None:
            self.lock.release()


def raw_sender(settings: Settings, perform: Perform) -> RawSender:
    """What the bot says over plain HTTP; files through the adapter (`perform`)."""
    token = settings.telegram.bot_token
    assert token is not None
    return RawSender(settings.telegram.api_server or PRODUCTION_API, token.get_secret_value(),
                     perform)


def reminder_runtime(settings: Settings, app: App, perform: Perform, clock: Clock,
                     limiter: RateLimiter | None = None) -> ReminderRuntime:
    limiter = limiter or RateLimiter(per_second=settings.reminders.per_second)
    dispatcher = Dispatcher(app.sessions, perform, clock, app.planner, app.planner.policy,
                            limiter, lease=timedelta(seconds=settings.reminders.lease_seconds),
                            flows=app.flows, rules=app.interviews)
    service = app.interviews

    async def watch(session: AsyncSession, now: datetime) -> None:
        await watch_deals(session, service, now)
    return ReminderRuntime(app.sessions, app.planner, dispatcher, clock, watch=watch,
                           hooks=hook_deliverer(settings, app, clock), tidy=inbox.purge_done)


def hook_deliverer(settings: Settings, app: App, clock: Clock) -> HookDeliverer:
    return HookDeliverer(app.sessions, clock,
                         lease=timedelta(seconds=settings.hooks.lease_seconds),
                         timeout=settings.hooks.timeout_seconds)


def sqlite_dispatcher_lock(engine: AsyncEngine) -> DispatcherLock | None:
    """On SQLite, hold the one-dispatcher lock (raises DispatcherLocked if taken)."""
    if not is_sqlite(engine) or not engine.url.database or engine.url.database == ":memory:":
        return None
    lock = DispatcherLock(engine.url.database)
    lock.acquire()
    return lock
