"""`users …`: staff who use the bot."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
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
from services import team_members
from services.importing import ImportFileError, read_table
from services.staff_sheet import StaffRow, read_staff
from storage import (
    accounts,
    staff,
)
from storage.models import User

users_app = typer.Typer(no_args_is_help=True, help="Staff who use the bot.")
app.add_typer(users_app, name="users")


TELEGRAM_ID = typer.Option(help="Numeric Telegram user id")
FEISHU_OPEN_ID = typer.Option(help="Feishu (Lark) open id, ou_… (the developer console's "
                              "API explorer shows yours; `users feishu-seen` lists who wrote)")
OPEN_ID_FORM = re.compile(r"ou_[0-9a-zA-Z]{10,60}")
DINGTALK_ID = typer.Option(help="DingTalk user id (员工 UserID: the admin console's address "
                           "book shows it; `users dingtalk-seen` lists who wrote)")
DINGTALK_ID_FORM = re.compile(r"[0-9A-Za-z_\-$]{1,64}")


def _dingtalk_id(value: str | None) -> str | None:
    if value is not None and not DINGTALK_ID_FORM.fullmatch(value.strip()):
        raise fail(f"{value!r} is not a DingTalk user id: expected up to 64 letters, digits, "
                   "_ or -, such as 0123456789012345")
    return None if value is None else value.strip()


def _open_id(value: str | None) -> str | None:
    if value is not None and not OPEN_ID_FORM.fullmatch(value.strip()):
        raise fail(f"{value!r} is not a Feishu open id: expected ou_ and letters and digits, "
                   "such as ou_7d8a6e6df7621556ce0d21922b676706")
    return None if value is None else value.strip()


@users_app.command("add")
def users_add(
    role: Annotated[str, typer.Option(help="rep, manager or admin")],
    name: Annotated[str, typer.Option(help="Display name")],
    telegram_id: Annotated[int | None, TELEGRAM_ID] = None,
    feishu_open_id: Annotated[str | None, FEISHU_OPEN_ID] = None,
    manager_id: Annotated[int | None, typer.Option(help="The user id of their manager")] = None,
    dingtalk_user_id: Annotated[str | None, DINGTALK_ID] = None,
) -> None:
    """Register a rep, manager or admin on Telegram, Feishu, DingTalk or several (or change
    an existing one's role, or give them another channel)."""
    if telegram_id is None and feishu_open_id is None and dingtalk_user_id is None:
        raise fail("give --telegram-id, --feishu-open-id or --dingtalk-user-id (or several): "
                   "where does this person talk to the bot?")
    open_id = _open_id(feishu_open_id)  # the arguments first, then the settings
    dingtalk_id = _dingtalk_id(dingtalk_user_id)
    asyncio.run(_users_add(load_settings(), telegram_id, open_id, dingtalk_id, role, name,
                           manager_id))


async def _users_add(settings: Settings, telegram_id: int | None, open_id: str | None,
                     dingtalk_id: str | None, role: str, name: str,
                     manager_id: int | None) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        now = system_clock()
        try:
            user = await team_members.register(
                session, telegram_id=telegram_id, open_id=open_id, role=role, name=name,
                manager_id=manager_id, actor="cli", channel="cli", now=now,
                dingtalk_id=dingtalk_id)
        except ValueError as exc:
            raise fail(str(exc)) from None
        where = [f"telegram id {telegram_id}"] if telegram_id is not None else []
        where += [f"feishu {open_id}"] if open_id is not None else []
        where += [f"dingtalk {dingtalk_id}"] if dingtalk_id is not None else []
        typer.echo(f"user {user.id}: {name} ({role}), {', '.join(where)}")


@users_app.command("import")
def users_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or XLSX: 姓名/name, 角色/role, "
                                              "Telegram, 飞书/Feishu open id, 主管/manager",
                                         exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; change nothing")]
    = False,
) -> None:
    """Register a team in one go; a person already known (by either id) is updated. Every
    row is checked first: any problem, and nothing is stored."""
    try:
        rows, problems = read_staff(read_table(file))
    except ImportFileError as exc:
        raise fail(f"{file}: {exc}") from None
    for problem in problems:
        typer.echo(f"{file}: {problem}", err=True)
    if problems:
        raise fail(f"{len(problems)} problem(s): nobody was added; fix the rows above", 1)
    added = asyncio.run(_users_import(load_settings(), rows, dry_run))
    for line in added:
        typer.echo(line)
    typer.echo("dry run: nothing was changed" if dry_run else f"{len(rows)} staff imported")


class _DryRun(Exception):
    """Leaves the transaction without a commit: a dry run stores nothing."""


async def _users_import(settings: Settings, rows: list[StaffRow], dry_run: bool) -> list[str]:
    lines = [f"{row.name} ({row.role})" + (f", manager {row.manager}" if row.manager else "")
             for row in rows]
    with contextlib.suppress(_DryRun):
        await _store_staff(settings, rows, dry_run)
    return lines


async def _store_staff(settings: Settings, rows: list[StaffRow], dry_run: bool) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        now = system_clock()
        made: dict[str, User] = {}
        try:
            for row in rows:
                made[row.name] = await team_members.register(
                    session, telegram_id=row.telegram_id, open_id=row.feishu_open_id,
                    role=row.role, name=row.name, manager_id=None, actor="cli", channel="cli",
                    now=now)
            for row in rows:
                if row.manager:
                    boss = await team_members.manager_named(session, made, row.manager,
                                                            row.number)
                    made[row.name].manager_id = boss.id
        except ValueError as exc:
            raise fail(str(exc)) from None
        if dry_run:
            raise _DryRun


@users_app.command("dingtalk-seen")
def users_dingtalk_seen() -> None:
    """DingTalk user ids the bot knows (who wrote to the robot, or were bound), newest
    first, and whom each is bound to."""
    asyncio.run(_seen(load_settings(), "dingtalk", "DingTalk"))


async def _seen(settings: Settings, channel: str, name: str) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        rows = await accounts.seen(session, channel)
        if not rows:
            typer.echo(f"no {name} account has written to the bot or been bound yet")
        for external, first, user in rows:
            bound = f"user {user.id} {user.name} ({user.role})" if user else "not bound"
            typer.echo(f"{external}  since {first:%Y-%m-%d %H:%M}Z  {bound}")


@users_app.command("feishu-seen")
def users_feishu_seen() -> None:
    """Feishu open ids the bot knows (who wrote to it, or were bound), newest first, and
    whom each is bound to: how to find a new colleague's open id."""
    asyncio.run(_seen(load_settings(), "feishu", "Feishu"))


@users_app.command("list")
def users_list() -> None:
    """Everyone registered: id, Telegram id, role, manager, active, customers owned."""
    asyncio.run(_users_list(load_settings()))


async def _users_list(settings: Settings) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        listing = await staff.listing(session)
        on = await accounts.accounts_of(session, [user.id for user, _ in listing])
        for user, owned in listing:
            state = "active" if user.active else "deactivated"
            mine = on.get(user.id, [])
            telegram = next((a.external_id for a in mine if a.channel == "telegram"), "-")
            others = "".join(f"  {a.channel} {a.external_id}" for a in mine
                             if a.channel != "telegram")
            typer.echo(f"{user.id:>5}  {telegram:>12}  {user.role:<8} "
                       f"{user.name}  manager {user.manager_id or '-'}  {state}  "
                       f"{owned} customer(s){others}")


@users_app.command("set-role")
def users_set_role(
    role: Annotated[str, typer.Option(help="rep, manager or admin")],
    telegram_id: Annotated[int | None, TELEGRAM_ID] = None,
    feishu_open_id: Annotated[str | None, FEISHU_OPEN_ID] = None,
    manager_id: Annotated[int | None, typer.Option(help="The user id of their manager")] = None,
    dingtalk_user_id: Annotated[str | None, DINGTALK_ID] = None,
) -> None:
    """Change a user's role (and, optionally, their manager)."""
    whom = _whom(telegram_id, feishu_open_id, dingtalk_user_id)
    asyncio.run(_staff_change(load_settings(), whom, role, manager_id))


@users_app.command("deactivate")
def users_deactivate(
    telegram_id: Annotated[int | None, TELEGRAM_ID] = None,
    feishu_open_id: Annotated[str | None, FEISHU_OPEN_ID] = None,
    dingtalk_user_id: Annotated[str | None, DINGTALK_ID] = None,
) -> None:
    """Switch a user off. Refused while they own customers: reassign those first."""
    whom = _whom(telegram_id, feishu_open_id, dingtalk_user_id)
    asyncio.run(_staff_change(load_settings(), whom, None, None))


def _whom(telegram_id: int | None, feishu_open_id: str | None,
          dingtalk_user_id: str | None) -> tuple[str, str, str]:
    """The account named on the command line: (channel, its id there, how to say it)."""
    if telegram_id is not None:
        return "telegram", str(telegram_id), f"Telegram id {telegram_id}"
    if feishu_open_id is not None:
        open_id = _open_id(feishu_open_id) or ""
        return "feishu", open_id, f"Feishu open id {open_id}"
    if dingtalk_user_id is not None:
        staff_id = _dingtalk_id(dingtalk_user_id) or ""
        return "dingtalk", staff_id, f"DingTalk user id {staff_id}"
    raise fail("say whom: --telegram-id, --feishu-open-id or --dingtalk-user-id")


async def _staff_change(settings: Settings, whom: tuple[str, str, str], role: str | None,
                        manager_id: int | None) -> None:
    channel, external, named = whom
    async with open_app(settings) as app_:
        now = system_clock()
        refused = None
        async with app_.sessions.begin() as session:  # a refusal is audited, so it commits
            user = await accounts.user_on(session, channel, external)
            if user is None or not user.active:
                raise fail(f"no active user has {named}")
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


