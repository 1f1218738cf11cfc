"""Running the bot: the chosen framework's client, the inbox worker, polling or a webhook,
and the reminders, wired from settings."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels import routed
from bot.inbox_worker import InboxWorker, poll
from bot.raw_send import PRODUCTION_API, BotApi, RawSender
from bot.telegram import ALLOWED_UPDATES, TelegramClient, commands_params
from bot.webhook import WEBHOOK_PATH, webhook_app
from chat.actions import Action, Edit, Send, SendFile
from chat.clock import Clock, system_clock
from chat.delivery import DeliveryError, Perform
from conversation.commands import menus
from conversation.context import BotConfig
from conversation.handling import Conversation
from interview_bot.app import App, open_app
from interview_bot.dingtalk_wiring import serve_dingtalk, start_dingtalk
from interview_bot.reminder_wiring import SHUTDOWN_GRACE_SECONDS, ReminderRunner, raw_sender
from interview_bot.settings import Settings
from scheduler.rate_limit import RateLimiter
from scheduler.single_dispatcher import DispatcherLocked
from storage import inbox
from storage.database import is_sqlite
from web.metrics import METRICS_PATH, metrics_app
from web.runner import Runner

if TYPE_CHECKING:
    from bot.feishu_client import FeishuClient
    from bot.feishu_toasts import Toasts

log = logging.getLogger(__name__)
TOKEN_FORM = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")


def make_client(framework: str, token: str, api_server: str | None) -> TelegramClient:
    """The chosen framework's client; each imports its framework only when chosen."""
    if framework == "aiogram":
        from bot.aiogram_client import AiogramClient

        return AiogramClient(token, api_server)
    if framework == "ptb":
        from bot.ptb_client import PtbClient

        return PtbClient(token, api_server)
    raise ValueError(f"unknown framework {framework!r}; use aiogram or ptb")


def start_problem(exc: Exception, api_server: str | None) -> str:
    """Why the bot could not start talking to Telegram, in one line."""
    where = api_server or PRODUCTION_API
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "unauthorized" in text.lower() or "not found" in text.lower():
        return (f"the Bot API at {where} refused TELEGRAM_BOT_TOKEN ({text}): check the token "
                "with @BotFather")
    setting = "TELEGRAM_API_SERVER" if api_server else "the network (api.telegram.org)"
    return f"cannot reach the Telegram Bot API at {where} ({text}): check {setting}"


class ClientOnFirstUse:
    """A client made only when something needs it: a reminder pass that sends nothing but
    plain messages (they go over plain HTTP) never imports a chat framework, which is
    most of a cron job's start."""

    def __init__(self, framework: str, token: str, api_server: str | None) -> None:
        self.framework, self.token, self.api_server = framework, token, api_server
        self._client: TelegramClient | None = None

    async def perform(self, action: Action) -> int | None:
        if self._client is None:
            self._client = make_client(self.framework, self.token, self.api_server)
        return await self._client.perform(action)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


def checked_token(settings: Settings, webhook: bool) -> str | None:
    """The Telegram token, once the settings are known to make a bot (a one-line reason
    otherwise, as ValueError)."""
    tg, fs = settings.telegram, settings.feishu
    if tg.bot_token is None and not fs.configured and not settings.dingtalk.configured:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set (nor FEISHU_APP_ID, nor "
                         "DINGTALK_CLIENT_ID): the bot has no channel to serve")
    if webhook and (tg.webhook_secret is None or not tg.webhook_url):
        raise ValueError("webhook mode needs TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET")
    token = None if tg.bot_token is None else tg.bot_token.get_secret_value()
    if token is not None and not TOKEN_FORM.fullmatch(token):
        raise ValueError("TELEGRAM_BOT_TOKEN is not a bot token: expected the bot's number, a "
                         "colon and its secret (123456789:AAE…), as @BotFather gives it")
    problem = fs.problem() or settings.dingtalk.problem()
    if problem is not None:
        raise ValueError(problem)
    return token


async def connect_telegram(settings: Settings, framework: str,
                           token: str | None) -> tuple[TelegramClient | None, str]:
    """The framework's client, connected, and the bot's username (known only then)."""
    if token is None:
        return None, ""
    client = make_client(framework, token, settings.telegram.api_server)
    try:
        username = await client.start()
    except Exception as exc:
        await client.close()
        raise ValueError(start_problem(exc, settings.telegram.api_server)) from exc
    with contextlib.suppress(Exception):
        await set_commands(client, menus(), "zh")
    return client, username


async def serve(settings: Settings, *, framework: str = "aiogram", webhook: bool = False,
                clock: Clock = system_clock, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM): Telegram when its token is set, Feishu
    when its app is, both over one inbox, one conversation and one reminder dispatcher."""
    token = checked_token(settings, webhook)
    stop = stop or _stop_on_signals()
    async with open_app(settings, clock=clock) as app:
        client, username = await connect_telegram(settings, framework, token)
        lark = await start_feishu(settings, app, clock) if settings.feishu.configured else None
        ding = await start_dingtalk(settings, app, clock) \
            if settings.dingtalk.configured else None
        config = BotConfig(bot_username=username,
                           admin_ids=frozenset(settings.admin.telegram_ids),
                           web_url=settings.web.url.rstrip("/"))
        conversation = Conversation(app.interviews, app.flows, clock, config)
        # everything loaded so far (frameworks, models, flows) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it (bench M2: such
        # pauses were the p99)
        gc.freeze()
        if is_sqlite(app.engine):
            # one process per SQLite file: leases left over belong to a process that died
            async with app.sessions.begin() as session:
                await inbox.release_all(session)
        # one sending budget for the process: replies first, reminders in what is left
        limiter = RateLimiter(per_second=settings.reminders.per_second)
        # what the bot says goes over plain HTTP; the framework uploads files
        sender = None if client is None else raw_sender(settings, client.perform)
        performers: dict[str, Perform | None] = {
            "telegram": None if sender is None else sender.perform,
            "feishu": None if lark is None else lark.perform,
            "dingtalk": None if ding is None else ding.perform}
        worker = InboxWorker(app.sessions, conversation,
                             paced(routed(app.sessions, performers), limiter), clock)
        running = Running(asyncio.create_task(worker.run_forever(stop)),
                          ReminderRunner(settings, app, performers, clock, limiter),
                          BotApi(settings.telegram.api_server or PRODUCTION_API, token or ""),
                          client, sender)
        try:
            await running.listen(settings, app, clock, worker, stop,
                                 None if lark is None else lark.toasts, webhook, username)
            await stop.wait()
        finally:
            stop.set()
            await running.close()
            for channel in (lark, ding):
                if channel is not None:
                    await channel.close()


class Running:
    """What `serve` started, to close in order: the worker and the poller finish the batch
    in hand (so no reply goes out twice), then the listeners, the reminders, the client."""

    def __init__(self, working: asyncio.Task[None], reminders: ReminderRunner, api: BotApi,
                 client: TelegramClient | None, sender: RawSender | None) -> None:
        self.working, self.reminders, self.api, self.client = working, reminders, api, client
        self.sender = sender
        self.tasks: list[asyncio.Task[None]] = []
        self.stoppers: list[Callable[[], Awaitable[None]]] = []  # the listeners

    async def listen(self, settings: Settings, app: App, clock: Clock, worker: InboxWorker,
                     stop: asyncio.Event, toasts: Toasts | None, webhook: bool,
                     username: str) -> None:
        """Reminders, metrics, the Feishu callback, and Telegram by webhook or polling."""
        try:
            self.reminders.start()
        except DispatcherLocked as exc:
            raise ValueError(str(exc)) from None
        if settings.metrics.port is not None:
            self.stoppers.append(await serve_metrics(settings, app, clock))
        if toasts is not None:  # Feishu is configured
            self.stoppers.append(await serve_feishu(settings, app, clock, worker.wake.set,
                                                    toasts))
        if settings.dingtalk.configured:
            self.stoppers.append(await serve_dingtalk(settings, app, clock, worker.wake.set))
        tg, client = settings.telegram, self.client
        if client is not None and webhook:
            assert tg.webhook_secret is not None
            secret = tg.webhook_secret.get_secret_value()
            runner = Runner(webhook_app(worker, secret))
            await runner.setup()
            self.stoppers.append(runner.cleanup)
            await web.TCPSite(runner, tg.webhook_host, tg.webhook_port).start()
            await set_webhook(client, tg.webhook_url.rstrip("/") + WEBHOOK_PATH, secret)
            log.info("webhook on %s:%s (%s)", tg.webhook_host, tg.webhook_port, client.name)
        elif client is not None:
            self.tasks.append(asyncio.create_task(
                poll(self.api.get_updates, worker, stop, tg.poll_seconds)))
            log.info("polling as @%s (%s)", username, client.name)

    async def close(self) -> None:
        # the poller stops at once if it is waiting for updates
        await asyncio.wait({self.working, *self.tasks}, timeout=SHUTDOWN_GRACE_SECONDS)
        self.working.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, self.working, return_exceptions=True)
        for stopping in self.stoppers:
            await stopping()
        await self.api.close()
        await self.reminders.stop()
        if self.sender is not None:
            await self.sender.close()
        if self.client is not None:
            await self.client.close()


async def serve_metrics(settings: Settings, app: App,
                        clock: Clock) -> Callable[[], Awaitable[None]]:
    """/metrics (and /healthz) for Prometheus, on METRICS_HOST:METRICS_PORT."""
    runner = Runner(metrics_app(app.sessions, clock), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.metrics.host, settings.metrics.port).start()
    log.info("metrics on %s:%s%s", settings.metrics.host, settings.metrics.port, METRICS_PATH)
    return runner.cleanup


async def start_feishu(settings: Settings, app: App, clock: Clock) -> FeishuClient:
    """The Feishu client, its tenant token fetched (so a wrong app id or secret says so now)."""
    from bot.feishu_client import FeishuClient

    fs = settings.feishu
    assert fs.app_secret is not None
    lark = FeishuClient(fs.app_id, fs.app_secret.get_secret_value(), fs.domain, app.sessions,
                        clock)
    try:
        await lark.start()
    except Exception as exc:
        raise ValueError(feishu_start_problem(exc, fs.domain)) from exc
    return lark


def feishu_start_problem(exc: Exception, domain: str) -> str:
    """Why Feishu would not give the bot a token, in one line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    from bot.feishu_client import FeishuRefused

    if isinstance(exc, FeishuRefused):
        return (f"Feishu at {domain} refused FEISHU_APP_ID and FEISHU_APP_SECRET ({text}): copy "
                "both from the app's Credentials page in the developer console; a Lark app "
                "needs FEISHU_DOMAIN=https://open.larksuite.com")
    why = "no answer in 30 s" if isinstance(exc, TimeoutError) else \
        "connection refused or no route" if isinstance(exc, OSError) else type(exc).__name__
    return (f"cannot reach Feishu at {domain} ({why}): check FEISHU_DOMAIN and "
            "the network (open.feishu.cn is reachable from mainland China, open.larksuite.com "
            "from elsewhere)")


async def serve_feishu(settings: Settings, app: App, clock: Clock, wake: Callable[[], None],
                       toasts: Toasts) -> Callable[[], Awaitable[None]]:
    """Feishu's events into the inbox: the HTTP callback, or the long connection. Returns
    what stops it."""
    from bot.feishu_events import CALLBACK_PATH, FeishuIntake, LongConnection, callback_app
    from bot.feishu_protocol import Keys

    fs = settings.feishu
    intake = FeishuIntake(app.sessions, clock, wake, toasts)
    if fs.mode == "long":
        assert fs.app_secret is not None
        connection = LongConnection(intake, fs.app_id, fs.app_secret.get_secret_value(),
                                    fs.domain)
        connection.start()
        log.info("Feishu: long connection to %s", fs.domain)
        return connection.stop
    assert fs.verification_token is not None and fs.encrypt_key is not None
    keys = Keys(fs.verification_token.get_secret_value(), fs.encrypt_key.get_secret_value())
    runner = Runner(callback_app(intake, keys))
    await runner.setup()
    await web.TCPSite(runner, fs.host, fs.port).start()
    log.info("Feishu: events on %s:%s%s", fs.host, fs.port, CALLBACK_PATH)
    return runner.cleanup


async def set_commands(client: TelegramClient, menus: dict[str, list[tuple[str, str]]],
                       default: str) -> None:
    """The command menu per language, and the default language's for everyone else."""
    for language, entries in menus.items():
        await client.call("setMyCommands", commands_params(entries, language))
    await client.call("setMyCommands", commands_params(menus[default], None))


async def set_webhook(client: TelegramClient, url: str, secret: str) -> None:
    await client.call("setWebhook", {"url": url, "secret_token": secret,
                                     "allowed_updates": ALLOWED_UPDATES})


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


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
