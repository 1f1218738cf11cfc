"""The command-line app's root, and what every command shares: settings, refusals, finding
a customer by name or id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.ext.asyncio import AsyncSession

from interview_bot.app import EncryptionNotConfigured, cipher_from
from interview_bot.cli.project_files import PathProblem, database_settings, find_env_file
from interview_bot.settings import Settings
from interview_bot.settings_errors import describe
from services import customer_search
from storage import customers
from storage.models import Customer

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="SPIN customer interviews for sales teams, in Telegram or a terminal.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "flows" / "schema" / "flows.schema.json"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def load_settings(needs_keys: bool = True, uses_database: bool | None = None,
                  creates_database: bool = False) -> Settings:
    """The settings, from the environment and the project's `.env` (project_files); for
    commands that touch the database, with encryption configured (or SECURITY_DEMO=true)
    and the database where the project keeps it, else a clear refusal. Only the commands
    that start a database (`run`, `chat`, `db upgrade`) may find none and make one."""
    cwd = Path.cwd()
    env_file = find_env_file(cwd)
    try:
        settings = Settings(_env_file=env_file)
    except (ValidationError, SettingsError) as exc:
        raise fail("\n".join(describe(exc))) from None

    if needs_keys:
        try:
            cipher_from(settings)
        except EncryptionNotConfigured as exc:
            raise fail(f"refusing to start: {exc}") from None
    if needs_keys if uses_database is None else uses_database:
        try:
            settings = database_settings(settings, env_file, cwd, creates_database)
        except PathProblem as exc:
            raise fail(str(exc)) from None
    return settings




async def customer_id_of(session: AsyncSession, name_or_id: str) -> int:
    return (await customer_of(session, name_or_id)).id


async def customer_of(session: AsyncSession, name_or_id: str) -> Customer:
    """A customer named on the command line as the bot finds them: `#12`, the company
    under any spelling, part of its name or its pinyin, a contact's name, phone or email."""
    named = await customer_search.name_customer(session, name_or_id)
    if not named.found:
        hint = f"; did you mean {', '.join(repr(n) for n in named.closest)}?" \
            if named.closest else ""
        raise fail(f"there is no customer {name_or_id!r}{hint}")
    if len(named.found) > 1:
        raise fail(f"several customers match {name_or_id!r}: {_listed(named.found)}; "
                   "give the #id")
    return named.found[0]


def _listed(found: list[Customer]) -> str:
    return ", ".join(f"{c.name} (#{c.id})" for c in found[:10])


async def customer_or_new(session: AsyncSession, name: str, new: bool | None,
                          create: Callable[[str], Awaitable[Customer]]) -> Customer:
    """The customer a command is for, by the bot's rule: an existing one the name finds
    (one, else the choice is listed); a new one only with --new (and never a second
    record of the same company: --new on an existing name takes that one). `new=None`:
    the name was typed when asked for a company: new when nothing at all matches."""
    if new:
        same = await customers.find_by_name(session, name)
        if len(same) > 1:
            listed = ", ".join(f"#{c.id}" for c in same)
            raise fail(f"several customers are called {name!r} ({listed}); give the #id "
                       "instead of --new")
        if same:
            typer.echo(f"{same[0].name} (#{same[0].id}) exists already: using it", err=True)
            return same[0]
        return await create(name)
    named = await customer_search.name_customer(session, name)
    if len(named.found) == 1:
        return named.found[0]
    if new is None and not named.found:
        return await create(name)
    if named.found:
        raise fail(f"several customers match {name!r}: {_listed(named.found)}; "
                   "give --customer '#id'")
    hint = f"Did you mean {', '.join(repr(n) for n in named.closest)}? " \
        if named.closest else ""
    raise fail(f"there is no customer {name!r}. {hint}To start a new customer with this "
               "name, add --new")
