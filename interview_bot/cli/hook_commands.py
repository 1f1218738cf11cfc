"""`hooks …`: the endpoints other systems receive events at (README "Connecting other
systems"), their dead letters, and one delivery pass for cron-style deployments."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli.command_setup import app, fail, load_settings
from interview_bot.settings import Settings
from scheduler.single_dispatcher import DispatcherLocked
from services import webhooks
from services.events import KINDS

hooks_app = typer.Typer(no_args_is_help=True, help="Webhooks: events sent to other systems.")
app.add_typer(hooks_app, name="hooks")
ACTOR = CHANNEL = "cli"


@hooks_app.command("add")
def hooks_add(
    url: Annotated[str, typer.Argument(help="Where to POST events, http(s)://…")],
    events: Annotated[str, typer.Option(
        "--events", help=f"Comma-separated: {', '.join(KINDS)}; or * for all")] = "*",
    personal: Annotated[bool, typer.Option(
        "--personal", help="Also send personal data (contacts' names, phones…); each such "
                           "delivery is audited")] = False,
) -> None:
    """Register an endpoint; its signing secret is shown this once."""
    asyncio.run(_add(load_settings(), url, events, personal))


async def _add(settings: Settings, url: str, events: str, personal: bool) -> None:
    try:
        async with open_app(settings) as app_, app_.sessions.begin() as session:
            added = await webhooks.add(session, url=url, events=events, personal=personal,
                                       actor=ACTOR, channel=CHANNEL, now=system_clock())
    except webhooks.HookError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"endpoint #{added.id}: {added.url}")
    typer.echo(f"events: {', '.join(added.events)}"
               + ("; with personal data" if added.personal else "; without personal data"))
    typer.echo(f"signing secret (shown once, keep it with the receiver): {added.secret}")


@hooks_app.command("list")
def hooks_list(
    removed: Annotated[bool, typer.Option("--removed", help="Removed ones too")] = False,
) -> None:
    """Endpoints, with their deliveries pending, sent and dead."""
    asyncio.run(_list(load_settings(), removed))


async def _list(settings: Settings, removed: bool) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        views = await webhooks.listing(session, removed)
    if not views:
        typer.echo("No webhook endpoints: `interview-bot hooks add URL --events …` adds one.")
    for v in views:
        typer.echo(f"#{v.id}  {v.status:<7}  {v.url}  events {','.join(v.events)}"
                   f"{'  +personal' if v.personal else ''}  pending {v.pending}  "
                   f"sent {v.sent}  dead {v.dead}")


def _change(endpoint_id: int, what: str) -> None:
    asyncio.run(_changed(load_settings(), endpoint_id, what))


async def _changed(settings: Settings, endpoint_id: int, what: str) -> None:
    try:
        async with open_app(settings) as app_, app_.sessions.begin() as session:
            cancelled = await webhooks.change(session, endpoint_id, what, actor=ACTOR,
                                              channel=CHANNEL, now=system_clock())
    except webhooks.HookError as exc:
        raise fail(str(exc)) from None
    done = {"pause": "paused: events wait until `hooks resume`",
            "resume": "resumed: what waited goes out now, in order",
            "remove": f"removed; {cancelled} undelivered event(s) cancelled"}[what]
    typer.echo(f"endpoint #{endpoint_id} {done}")


@hooks_app.command("pause")
def hooks_pause(endpoint_id: Annotated[int, typer.Argument(help="From `hooks list`")]) -> None:
    """Stop sending to an endpoint; its events wait (and still expire after 24 hours)."""
    _change(endpoint_id, "pause")


@hooks_app.command("resume")
def hooks_resume(endpoint_id: Annotated[int, typer.Argument(help="From `hooks list`")]) -> None:
    """Send to a paused endpoint again."""
    _change(endpoint_id, "resume")


@hooks_app.command("remove")
def hooks_remove(endpoint_id: Annotated[int, typer.Argument(help="From `hooks list`")]) -> None:
    """Stop sending to an endpoint for good; what it did not get is cancelled."""
    _change(endpoint_id, "remove")


@hooks_app.command("dead")
def hooks_dead(
    endpoint: Annotated[int | None, typer.Option("--endpoint", help="One endpoint")] = None,
) -> None:
    """Deliveries that gave up (24 hours of failures, or refused by the receiver)."""
    asyncio.run(_dead(load_settings(), endpoint))


async def _dead(settings: Settings, endpoint: int | None) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        letters = await webhooks.dead_letters(session, endpoint)
    if not letters:
        typer.echo("No dead deliveries.")
    for d in letters:
        typer.echo(f"{d.delivery_id:>6}  endpoint #{d.endpoint_id}  {d.kind:<20} {d.event_id}"
                   f"  customer {d.customer_id or '-'}  tries {d.attempts}  {d.error or ''}")


@hooks_app.command("replay")
def hooks_replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Delivery ids from `hooks dead`")]
    = None,
    all_: Annotated[bool, typer.Option("--all", help="Every dead delivery (of --endpoint)")]
    = False,
    endpoint: Annotated[int | None, typer.Option("--endpoint", help="With --all")] = None,
) -> None:
    """Send dead deliveries again (same event ids: receivers drop what they already have)."""
    asyncio.run(_replay(load_settings(), list(ids or []), all_, endpoint))


async def _replay(settings: Settings, ids: list[int], all_: bool, endpoint: int | None) -> None:
    try:
        async with open_app(settings) as app_, app_.sessions.begin() as session:
            if all_:
                ids = [d.delivery_id for d in await webhooks.dead_letters(
                    session, endpoint, limit=100_000)]
            count = await webhooks.replay(session, ids, actor=ACTOR, channel=CHANNEL,
                                          now=system_clock())
    except webhooks.HookError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{count} delivery(ies) queued again")


@hooks_app.command("deliver")
def hooks_deliver() -> None:
    """One pass: send every event due now, then stop (the bot does this every 2 seconds)."""
    asyncio.run(_deliver(load_settings()))


async def _deliver(settings: Settings) -> None:
    from interview_bot.reminder_wiring import hook_deliverer, sqlite_dispatcher_lock

    async with open_app(settings) as app_:
        try:
            lock = sqlite_dispatcher_lock(app_.engine)
        except DispatcherLocked as exc:
            raise fail(str(exc)) from None
        deliverer = hook_deliverer(settings, app_, system_clock)
        deliverer.leases_are_stale = lock is not None
        try:
            stats = await deliverer.run_once()
        finally:
            await deliverer.close()
            if lock is not None:
                lock.release()
    typer.echo(f"sent {stats.sent}, retrying {stats.retried}, dead {stats.dead}")
