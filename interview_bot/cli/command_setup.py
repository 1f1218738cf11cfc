"""The command-line app's root, and what every command shares: settings, refusals, finding
a customer by name or id."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interview_bot.app import EncryptionNotConfigured, cipher_from
from interview_bot.settings import Settings
from services import customer_search
from storage.models import Customer

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="SPIN customer interviews for sales teams, in Telegram or a terminal.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "flows" / "schema" / "flows.schema.json"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def load_settings(needs_keys: bool = True) -> Settings:
    """The settings; for commands that touch the database, with encryption configured
    (or SECURITY_DEMO=true), else a clear refusal."""
    try:
        settings = Settings()
    except ValueError as exc:
        raise fail(f"invalid settings: {exc}") from None
    if needs_keys:
        try:
            cipher_from(settings)
        except EncryptionNotConfigured as exc:
            raise fail(f"refusing to start: {exc}") from None
    return settings




async def customer_id_of(session: AsyncSession, name_or_id: str) -> int:
    return (await customer_of(session, name_or_id)).id


async def customer_of(session: AsyncSession, name_or_id: str) -> Customer:
    """A customer named on the command line as the bot finds them: `#12`, the company
    under any spelling, part of its name or its pinyin, a contact's name, phone or email."""
    found = await customer_search.search(session, name_or_id)
    if not found:
        near = await customer_search.closest(session, name_or_id)
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
        raise fail(f"there is no customer {name_or_id!r}{hint}")
    if len(found) > 1:
        listed = ", ".join(f"{c.name} (#{c.id})" for c in found[:10])
        raise fail(f"several customers match {name_or_id!r}: {listed}; give the #id")
    return found[0]


