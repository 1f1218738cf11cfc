"""`users …`: staff who use the bot."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli.command_setup import (
    app,
    fail,
    load_settings,
)
from interview_bot.settings import Settings
from storage import (
    accounts,
    audit,
    staff,
)

users_app = typer.Typer(no_args_is_help=True, help="Staff who use the bot.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    telegram_id: Annotated[int, typer.Option(help="Numeric Telegram user id")],
    role: Annotated[str, typer.Option(help="rep, manager or admin")],
    name: Annotated[str, typer.Option(help="Display name")],
    manager_id: Annotated[int | None, typer.Option(help="The user id of their manager")] = None,
) -> None:
    """Register a rep, manager or admin (or change an existing one's role)."""
    asyncio.run(_users_add(load_settings(), telegram_id, role, name, manager_id))


async def _users_add(settings: Settings, telegram_id: int, role: str, name: str,
                     manager_id: int | None) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        now = system_clock()
        try:
            user = await accounts.add_user(session, telegram_id=telegram_id, name=name,
                                           role=role, now=now, manager_id=manager_id)
        except ValueError as exc:
            raise fail(str(exc)) from None
        await audit.append(session, at=now, actor="cli", action="user.add", entity="user",
                           entity_id=user.id, fields=["role"], channel="cli")
        typer.echo(f"user {user.id}: {name} ({role}), telegram id {telegram_id}")


@users_app.command("list")
def users_list() -> None:
    """Everyone registered: id, Telegram id, role, manager, active, customers owned."""
    asyncio.run(_users_list(load_settings()))


async def _users_list(settings: Settings) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        for user, owned in await staff.listing(session):
            state = "active" if user.active else "deactivated"
            typer.echo(f"{user.id:>5}  {user.telegram_id or '-':>12}  {user.role:<8} "
                       f"{user.name}  manager {user.manager_id or '-'}  {state}  "
                       f"{owned} customer(s)")


@users_app.command("set-role")
def users_set_role(
    telegram_id: Annotated[int, typer.Option(help="Numeric Telegram user id")],
    role: Annotated[str, typer.Option(help="rep, manager or admin")],
    manager_id: Annotated[int | None, typer.Option(help="The user id of their manager")] = None,
) -> None:
    """Change a user's role (and, optionally, their manager)."""
    asyncio.run(_staff_change(load_settings(), telegram_id, role, manager_id))


@users_app.command("deactivate")
def users_deactivate(
    telegram_id: Annotated[int, typer.Option(help="Numeric Telegram user id")],
) -> None:
    """Switch a user off. Refused while they own customers: reassign those first."""
    asyncio.run(_staff_change(load_settings(), telegram_id, None, None))


async def _staff_change(settings: Settings, telegram_id: int, role: str | None,
                        manager_id: int | None) -> None:
    async with open_app(settings) as app_:
        now = system_clock()
        refused = None
        async with app_.sessions.begin() as session:  # a refusal is audited, so it commits
            user = await accounts.user_by_telegram(session, telegram_id)
            if user is None:
                raise fail(f"no active user has Telegram id {telegram_id}")
            try:
                if role is None:
                    await staff.deactivate(session, user, actor="cli", channel="cli", now=now)
                    message = f"{user.name} is deactivated"
                else:
                    await staff.set_role(session, user, role, actor="cli", channel="cli",
                                         now=now, manager_id=manager_id)
                    message = f"{user.name} is now {role}"
            except staff.StaffError as exc:
                refused = str(exc)
        if refused is not None:
            raise fail(refused)
        typer.echo(message)


