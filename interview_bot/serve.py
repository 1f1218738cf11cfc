"""Running the bot: one runtime (aiogram or PTB), the inbox worker, and polling or a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox_worker import InboxWorker
from bot.polling import poll
from bot.raw_send import RawSender
from bot.raw_updates import UpdateFetcher
from bot.webhook import WEBHOOK_PATH, webhook_app
from chat.actions import Action, Edit, Send, SendFile
from chat.clock import Clock, system_clock
from chat.delivery import DeliveryError, Perform
from conversation.context import BotConfig
from conversation.handling import Conversation
from interview_bot.app import App, open_app
from interview_bot.settings import Settings
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import ReminderRuntime, start_scheduler
from scheduler.rate_limit import RateLimiter
from scheduler.single_dispatcher import DispatcherLock, DispatcherLocked
from storage import inbox
from storage.database import is_sqlite

log = logging.getLogger(__name__)
PRODUCTION_API = "https://api.telegram.org"
SHUTDOWN_GRACE_SECONDS = 10.0


class Runtime(Protocol):
    name: str

    async def start(self, conversation: Conversation) -> str: ...
    async def set_commands(self) -> None: ...
    async def set_webhook(self, url: str, secret: str) -> None: ...
    async def dispatch(self, payload: dict[str, Any]) -> tuple[bool, list[Action]]: ...
    async def perform(self, action: Action) -> int | None: ...
    async def close(self) -> None: ...


def make_runtime(framework: str, token: str, api_server: str | None) -> Runtime:
    if framework == "aiogram":
        from bot.aiogram_app.runtime import AiogramRuntime

        return AiogramRuntime(token, api_server)
    if framework == "ptb":
        from bot.ptb_app import PtbRuntime

        return PtbRuntime(token, api_server)
    raise ValueError(f"unknown framework {framework!r}; use aiogram or ptb")


class RuntimeOnFirstUse:
    """A runtime made only when something needs it: a reminder pass that sends nothing but
    plain messages (they go over plain HTTP) never imports a chat framework, which is
    most of a cron job's start."""

    def __init__(self, framework: str, token: str, api_server: str | None) -> None:
        self.framework, self.token, self.api_server = framework, token, api_server
        self._runtime: Runtime | None = None

    async def perform(self, action: Action) -> int | None:
        if self._runtime is None:
            self._runtime = make_runtime(self.framework, self.token, self.api_server)
        return await self._runtime.perform(action)

    async def close(self) -> None:
        if self._runtime is not None:
            await self._runtime.close()


async def serve(settings: Settings, *, framework: str = "aiogram", webhook: bool = False,
                clock: Clock = system_clock, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM)."""
    tg = settings.telegram
    if tg.bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    if webhook and (tg.webhook_secret is None or not tg.webhook_url):
        raise ValueError("webhook mode needs TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET")
    token = tg.bot_token.get_secret_value()
    stop = stop or _stop_on_signals()
    async with open_app(settings, clock=clock) as app:
        runtime = make_runtime(framework, token, tg.api_server)
        config = BotConfig(bot_username="", admin_ids=frozenset(settings.admin.telegram_ids))
        conversation = Conversation(app.sessions, app.interviews, app.flows, clock, config)
        username = await runtime.start(conversation)  # only known once connected
        conversation.config = dataclasses.replace(config, bot_username=username)
        with contextlib.suppress(Exception):
            await runtime.set_commands()
        if is_sqlite(app.engine):
            # one process per SQLite file: leases left over belong to a process that died
            async with app.sessions.begin() as session:
                await inbox.release_all(session)
        # one sending budget for the process: replies first, reminders in what is left
        limiter = RateLimiter(per_second=settings.reminders.per_second)
        worker = InboxWorker(app.sessions, runtime.dispatch, paced(runtime.perform, limiter),
                             clock)
        working = asyncio.create_task(worker.run_forever(stop))
        reminders = ReminderRunner(settings, app, runtime.perform, clock, limiter)
        tasks: list[asyncio.Task[None]] = []
        site_runner: web.AppRunner | None = None
        fetcher: UpdateFetcher | None = None
        try:
            try:
                reminders.start()
            except DispatcherLocked as exc:
                raise ValueError(str(exc)) from None
            if webhook:
                assert tg.webhook_secret is not None
                secret = tg.webhook_secret.get_secret_value()
                site_runner = web.AppRunner(webhook_app(app.sessions, clock, secret, worker.wake))
                await site_runner.setup()
                await web.TCPSite(site_runner, tg.webhook_host, tg.webhook_port).start()
                await runtime.set_webhook(tg.webhook_url.rstrip("/") + WEBHOOK_PATH, secret)
                log.info("webhook on %s:%s (%s)", tg.webhook_host, tg.webhook_port, runtime.name)
            else:
                fetcher = UpdateFetcher(tg.api_server or PRODUCTION_API, token)
                tasks.append(asyncio.create_task(
                    poll(fetcher, app.sessions, clock, stop, worker.wake,
                         tg.poll_seconds)))
                log.info("polling as @%s (%s)", username, runtime.name)
            await stop.wait()
        finally:
            stop.set()
            for task in tasks:  # the poller: an unstored batch is simply sent again later
                task.cancel()
            # the worker finishes the updates in hand, so no reply goes out twice
            await asyncio.wait({working}, timeout=SHUTDOWN_GRACE_SECONDS)
            working.cancel()
            await asyncio.gather(*tasks, working, return_exceptions=True)
            if site_runner is not None:
                await site_runner.cleanup()
            if fetcher is not None:
                await fetcher.close()
            reminders.stop()
            await reminders.close()
            await runtime.close()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


class ReminderRunner:
    """Reminders inside the bot process: the scheduler, and on SQLite the dispatcher lock."""

    def __init__(self, settings: Settings, app: App, perform: Perform, clock: Clock,
                 limiter: RateLimiter) -> None:
        self.settings, self.app = settings, app
        self.sender = raw_sender(settings, perform)
        self.runtime = reminder_runtime(settings, app, self.sender.perform, clock, limiter)
        self.lock: DispatcherLock | None = None
        self.scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        if not self.settings.reminders.enabled:
            return
        self.lock = sqlite_dispatcher_lock(self.app.engine)
        self.scheduler = start_scheduler(self.runtime)

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.lock is not None:
            self.lock.release()

    async def close(self) -> None:
        await self.sender.close()


def raw_sender(settings: Settings, perform: Perform) -> RawSender:
    """Reminders' plain messages over plain HTTP; anything else through the adapter."""
    token = settings.telegram.bot_token
    assert token is not None
    return RawSender(settings.telegram.api_server or PRODUCTION_API, token.get_secret_value(),
                     perform)


def paced(perform: Perform, limiter: RateLimiter) -> Perform:
    """Replies to people, within the process's sending budget, ahead of any reminder."""
    async def send(action: Action) -> int | None:
        chat = getattr(action, "chat_id", None)
        if chat is not None and isinstance(action, Send | SendFile | Edit):
            await limiter.acquire(chat, urgent=True)
        try:
            return await perform(action)
        except DeliveryError as error:
            if error.kind == "retry_after" and chat is not None:
                limiter.retry_after(chat, error.retry_after, everywhere=False)
            raise
    return send


def reminder_runtime(settings: Settings, app: App, perform: Perform, clock: Clock,
                     limiter: RateLimiter | None = None) -> ReminderRuntime:
    limiter = limiter or RateLimiter(per_second=settings.reminders.per_second)
    dispatcher = Dispatcher(app.sessions, perform, clock, app.planner, app.planner.policy,
                            limiter, lease=timedelta(seconds=settings.reminders.lease_seconds),
                            flows=app.flows)
    return ReminderRuntime(app.sessions, app.planner, dispatcher, clock)


def sqlite_dispatcher_lock(engine: AsyncEngine) -> DispatcherLock | None:
    """On SQLite, hold the one-dispatcher lock (raises DispatcherLocked if taken)."""
    if not is_sqlite(engine) or not engine.url.database or engine.url.database == ":memory:":
        return None
    lock = DispatcherLock(engine.url.database)
    lock.acquire()
    return lock
