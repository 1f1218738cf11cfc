"""Invite links for customers, and revoking them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer

from bot.raw_send import PRODUCTION_API, BotApi
from chat.clock import system_clock
from chat.delivery import DeliveryError
from interview_bot.app import open_app
from interview_bot.cli.command_setup import (
    app,
    customer_of,
    customer_or_new,
    fail,
    load_settings,
)
from interview_bot.settings import Settings
from interview_bot.terminal_chat import TERMINAL
from services import invitations


@app.command()
def invite(
    customer: Annotated[str, typer.Option(help="Customer (company) name")],
    flow: Annotated[str, typer.Option(help="Flow the customer answers")] = "pre_meeting",
    bot_username: Annotated[str, typer.Option(help="The bot's @username (default: asked of "
                                                   "Telegram with TELEGRAM_BOT_TOKEN)")] = "",
    days: Annotated[int, typer.Option(help="Days the link stays valid")] = 14,
    web: Annotated[bool, typer.Option("--web", help="A web page link (WEB_URL/q/…), for "
                                                    "customers without Telegram")] = False,
    new: Annotated[bool, typer.Option(
        "--new", help="Start a new customer of that name (without it, the name must find "
                      "one)")] = False,
) -> None:
    """Make an invite link for a customer's questionnaire."""
    asyncio.run(_invite(load_settings(), customer, flow, bot_username, days, web, new))


async def _invite(settings: Settings, name: str, flow_id: str, username: str, days: int,
                  web: bool = False, new: bool = False) -> None:
    if not web:
        username = username or await _bot_username(settings)
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        if flow_id not in app_.flows:
            raise fail(f"there is no flow `{flow_id}`")
        now = system_clock()
        found = await customer_or_new(
            session, name, new,
            lambda typed: app_.interviews.create_customer(session, typed, TERMINAL))
        _, token = await invitations.invite(session, customer_id=found.id, flow_id=flow_id,
                                            by=None, actor="cli", channel="cli", now=now,
                                            valid_for=timedelta(days=days))
        if web:
            typer.echo(f"{settings.web.url.rstrip('/')}/q/{token}")
        else:
            typer.echo(f"https://t.me/{username.lstrip('@')}?start={token}")


async def _bot_username(settings: Settings) -> str:
    """The bot's @username, from Telegram (getMe), when a token is set."""
    token = settings.telegram.bot_token
    if token is None:
        raise fail("give --bot-username (the bot's Telegram @username), or set "
                   "TELEGRAM_BOT_TOKEN so it can be asked of Telegram")
    api = BotApi(settings.telegram.api_server or PRODUCTION_API, token.get_secret_value())
    try:
        me = await api.call("getMe", {})
    except DeliveryError as exc:
        raise fail(f"cannot ask Telegram for the bot's username ({exc.detail or exc.kind}): "
                   "give --bot-username") from None
    finally:
        await api.close()
    return str(me.get("username") or "")


@app.command("revoke-invites")
def revoke_invites(customer: Annotated[str, typer.Option(help="Customer (company) name")]) -> None:
    """Revoke every open invite link of a customer."""
    asyncio.run(_revoke(load_settings(), customer))


async def _revoke(settings: Settings, name: str) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        now = system_clock()
        customer = await customer_of(session, name)  # the one look-up every door uses
        revoked = await invitations.revoke(session, customer.id, actor="cli", channel="cli",
                                           now=now)
        typer.echo(f"revoked {revoked} invite link(s) of {customer.name}")


