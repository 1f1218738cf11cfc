"""`interview-bot web`: the dashboard's server; `web link`: a sign-in link from the CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli import web_workers
from interview_bot.cli.command_setup import app, fail, load_settings
from interview_bot.settings import Settings
from services.sign_in_links import sign_in_link
from storage import accounts
from web.runner import Runner

web_app = typer.Typer(invoke_without_command=True,
                      help="The web dashboard: serve it, or make a sign-in link.")
app.add_typer(web_app, name="web")


@web_app.callback()
def web_command(ctx: typer.Context,
                host: Annotated[str | None, typer.Option(help="Listen here (WEB_HOST)")] = None,
                port: Annotated[int | None, typer.Option(help="Listen here (WEB_PORT)")] = None,
                workers: Annotated[int | None, typer.Option(
                    min=1, max=64, help="Server processes sharing the port (WEB_WORKERS)")
                ] = None,
                ) -> None:
    """Serve the dashboard and the customers' web questionnaire (read-only pages; sign in
    with a link from /dashboard)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    host, port = host or settings.web.host, port or settings.web.port
    count = workers or settings.web.workers
    if count == 1:
        asyncio.run(serve(settings, host, port))
    else:
        raise typer.Exit(web_workers.run(count, lambda: asyncio.run(
            serve(settings, host, port, reuse_port=True))))


async def serve(settings: Settings, host: str, port: int,
                ready: asyncio.Event | None = None, reuse_port: bool = False) -> None:
    from aiohttp import web  # the server's modules load only when it runs

    from web.pages import Dashboard
    from web.server import make_app

    async with open_app(settings) as app_:
        dashboard = Dashboard(app_.sessions, app_.flows, system_clock,
                              settings.interview.timezone,
                              secure_cookies=settings.web.url.startswith("https://"),
                              interviews=app_.interviews)
        runner = Runner(make_app(dashboard), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
        if not reuse_port or os.getpid() == web_workers.first_worker():
            typer.echo(f"dashboard on http://{host}:{port} (links point to {settings.web.url})")
            sys.stdout.flush()  # said now, also into a log file or a pipe
        if ready is not None:
            ready.set()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


@web_app.command("link")
def web_link(
    telegram_id: Annotated[int | None, typer.Option("--telegram-id", help="The staff member "
                                                    "to sign in, by Telegram id")] = None,
    feishu_open_id: Annotated[str | None, typer.Option(
        "--feishu-open-id", help="… or by Feishu open id (ou_…)")] = None,
    user_id: Annotated[int | None, typer.Option("--user", help="… or by user number "
                                                               "(`users list`)")] = None,
) -> None:
    """A one-time sign-in link (10 minutes) for a staff member on any channel, as
    /dashboard sends it."""
    if [telegram_id, feishu_open_id, user_id].count(None) != 2:
        raise fail("name the staff member once: --telegram-id, --feishu-open-id or --user")
    typer.echo(asyncio.run(_link(load_settings(), telegram_id, feishu_open_id, user_id)))


async def _link(settings: Settings, telegram_id: int | None, open_id: str | None,
                user_id: int | None) -> str:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        user = await accounts.user_by(session, telegram_id=telegram_id,
                                      open_id=(open_id or "").strip() or None, user_id=user_id)
        if user is None or not user.active:
            given = telegram_id or open_id or f"#{user_id}"
            raise fail(f"nobody active on the team is {given}; add them with `users add` "
                       "first (`users list` shows the team)")
        return await sign_in_link(session, user, settings.web.url, actor="cli", channel="cli",
                                  now=system_clock())
