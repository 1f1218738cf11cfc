"""`customers pool` and `customers exempt`: the team pool (README "The team pool") from the
command line, as an admin sees it (every team's)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli.command_setup import customer_of, fail, load_settings
from interview_bot.cli.customer_commands import customers_app
from interview_bot.settings import Settings
from services import team_pool


@customers_app.command("pool")
def customers_pool(
    grade: Annotated[str, typer.Option(help="Only this grade, A to E")] = "",
    query: Annotated[str, typer.Option("--q", help="Search as the bot does")] = "",
) -> None:
    """Customers in the team pools (released for lack of work), longest there first."""
    asyncio.run(_pool(load_settings(), grade.upper(), query))


async def _pool(settings: Settings, grade: str, query: str) -> None:
    try:
        async with open_app(settings) as app_, app_.sessions() as session:
            entries, total = await team_pool.listing(session, None, grade=grade,
                                                     query=query, lang="en")
    except team_pool.PoolError as exc:
        raise fail(str(exc)) from None
    if not entries:
        typer.echo("The pool is empty.")
        return
    for e in entries:
        typer.echo(f"#{e.id}\t{e.name}\t{e.grade or '—'}\treleased "
                   f"{e.released_at:%Y-%m-%d}\tfrom {e.released_from}")
    if total > len(entries):
        typer.echo(f"… {total - len(entries)} more: narrow with --grade or --q")


@customers_app.command("exempt")
def customers_exempt(
    name: Annotated[str, typer.Argument(help="Customer name or #id")],
    off: Annotated[bool, typer.Option("--off", help="Follow the pool's rules again")] = False,
) -> None:
    """Keep a key account out of the team pool (it is never released)."""
    asyncio.run(_exempt(load_settings(), name, not off))


async def _exempt(settings: Settings, name: str, on: bool) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        customer = await customer_of(session, name)
        await team_pool.exempt(session, customer, on, actor="cli", channel="cli",
                               now=system_clock())
    typer.echo(f"{customer.name} (#{customer.id}) "
               + ("never goes back to the pool" if on else "follows the pool's rules again"))
