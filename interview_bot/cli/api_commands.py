"""`api …`: tokens for the read API (README "Connecting other systems")."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli.command_setup import app, fail, load_settings
from interview_bot.settings import Settings
from services import api_access

api_app = typer.Typer(no_args_is_help=True, help="The read API: its tokens.")
token_app = typer.Typer(no_args_is_help=True, help="Make or revoke a token.")
app.add_typer(api_app, name="api")
api_app.add_typer(token_app, name="token")
ACTOR = CHANNEL = "cli"


@token_app.command("add")
def token_add(
    user: Annotated[int, typer.Option("--user", help="The staff member (user id) it reads "
                                                     "for: their customers, their team's, or "
                                                     "all for an admin")],
    name: Annotated[str, typer.Option("--name", help="What it is for, e.g. \"CRM sync\"")],
    days: Annotated[int, typer.Option("--days", help="Days until it expires")] = 90,
) -> None:
    """Make a token; it is shown this once."""
    asyncio.run(_add(load_settings(), user, name, days))


async def _add(settings: Settings, user: int, name: str, days: int) -> None:
    try:
        async with open_app(settings) as app_, app_.sessions.begin() as session:
            view, raw = await api_access.create_token(session, user_id=user, name=name,
                                                      days=days, actor=ACTOR, channel=CHANNEL,
                                                      now=system_clock())
    except api_access.TokenError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"token #{view.id} \"{view.name}\" reads as {view.user_name} ({view.role}) "
               f"until {view.expires_at:%Y-%m-%d}")
    typer.echo(f"send it as `Authorization: Bearer …` (shown once): {raw}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="From `api tokens`")]) -> None:
    """Stop a token at once."""
    asyncio.run(_revoke(load_settings(), token_id))


async def _revoke(settings: Settings, token_id: int) -> None:
    try:
        async with open_app(settings) as app_, app_.sessions.begin() as session:
            await api_access.revoke_token(session, token_id, actor=ACTOR, channel=CHANNEL,
                                          now=system_clock())
    except api_access.TokenError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"token #{token_id} revoked")


@api_app.command("tokens")
def tokens() -> None:
    """Every token: whom it reads for, until when, revoked or not."""
    asyncio.run(_tokens(load_settings()))


async def _tokens(settings: Settings) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        views = await api_access.tokens(session)
    now = system_clock()
    if not views:
        typer.echo("No API tokens: `interview-bot api token add --user ID --name …` makes one.")
    for v in views:
        state = (f"revoked {v.revoked_at:%Y-%m-%d}" if v.revoked_at else
                 f"expired {v.expires_at:%Y-%m-%d}" if v.expires_at <= now else
                 f"until {v.expires_at:%Y-%m-%d}")
        typer.echo(f"#{v.id}  {v.name}  reads as {v.user_name} (#{v.user_id}, {v.role})  {state}")
