"""`reminders …`: what is pending, and one pass for cron-style deployments."""

from __future__ import annotations

import asyncio
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli.command_setup import (
    app,
    fail,
    load_settings,
)
from interview_bot.settings import Settings
from scheduler.single_dispatcher import DispatcherLocked
from storage import (
    reminders,
)

reminders_app = typer.Typer(no_args_is_help=True, help="Follow-ups, revisits and digests.")
app.add_typer(reminders_app, name="reminders")


@reminders_app.command("list")
def reminders_list(
    due: Annotated[bool, typer.Option("--due", help="Only what is due now")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Customers overdue for a revisit")]
    = False,
) -> None:
    """Pending reminders (or, with --overdue, the customers whose revisit is overdue)."""
    asyncio.run(_reminders_list(load_settings(), due, overdue))


async def _reminders_list(settings: Settings, due: bool, overdue: bool) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        now = system_clock()
        if overdue:
            today = now.astimezone(ZoneInfo(settings.interview.timezone)).date()
            for customer in await reminders.overdue_customers(session, today):
                assert customer.revisit_due_on is not None
                days = (today - customer.revisit_due_on).days
                typer.echo(f"{customer.id:>6}  {customer.name}  due {customer.revisit_due_on}"
                           f"  ({days} days overdue)  owner {customer.owner_id or '-'}")
            return
        for row in await reminders.listing(session, due_before=now if due else None):
            typer.echo(f"{row.id:>6}  {row.kind:<18} due {row.due_at:%Y-%m-%d %H:%M}Z  "
                       f"to {row.recipient_id or row.recipient_chat}  "
                       f"customer {row.customer_id or '-'}  tries {row.attempts}")


@reminders_app.command("tick")
def reminders_tick() -> None:
    """One pass: plan what fell due, then send it (for cron-style deployments)."""
    asyncio.run(_reminders_tick(load_settings()))


def _check_channels(settings: Settings) -> None:
    """A tick needs a channel to send through, with what it takes (a one-line reason)."""
    if settings.telegram.bot_token is None and not settings.feishu.configured \
            and not settings.dingtalk.configured:
        raise fail("reminders are sent through Telegram, Feishu or DingTalk: set "
                   "TELEGRAM_BOT_TOKEN, FEISHU_APP_ID or DINGTALK_CLIENT_ID")
    problem = settings.feishu.problem()
    if problem is not None and settings.feishu.app_secret is None:
        raise fail(problem)
    if settings.dingtalk.problem() is not None:
        raise fail(str(settings.dingtalk.problem()))


async def _reminders_tick(settings: Settings) -> None:
    _check_channels(settings)
    from bot.channels import routed
    from interview_bot.dingtalk_wiring import start_dingtalk
    from interview_bot.reminder_wiring import raw_sender, reminder_runtime, sqlite_dispatcher_lock
    from interview_bot.serve import (
        ClientOnFirstUse,
        start_feishu,
    )

    token = settings.telegram.bot_token
    runtime = None if token is None else ClientOnFirstUse(
        "aiogram", token.get_secret_value(), settings.telegram.api_server)
    sender = None if runtime is None else raw_sender(settings, runtime.perform)
    try:
        async with open_app(settings) as app_:
            try:
                lark = await start_feishu(settings, app_, system_clock) \
                    if settings.feishu.configured else None
                ding = await start_dingtalk(settings, app_, system_clock) \
                    if settings.dingtalk.configured else None
            except ValueError as exc:
                raise fail(str(exc)) from None
            try:
                lock = sqlite_dispatcher_lock(app_.engine)
            except DispatcherLocked as exc:
                raise fail(str(exc)) from None
            perform = routed(app_.sessions, {
                "telegram": None if sender is None else sender.perform,
                "feishu": None if lark is None else lark.perform,
                "dingtalk": None if ding is None else ding.perform})
            try:
                stats = await reminder_runtime(settings, app_, perform, system_clock).tick()
            finally:
                if lock is not None:
                    lock.release()
                for channel in (lark, ding):
                    if channel is not None:
                        await channel.close()
            typer.echo(f"sent {stats.sent}, retrying {stats.retried}, failed {stats.failed}, "
                       f"expired {stats.expired}, postponed {stats.postponed} (quiet hours), "
                       f"redirected {stats.redirected}")
    finally:
        if sender is not None:
            await sender.close()
        if runtime is not None:
            await runtime.close()


