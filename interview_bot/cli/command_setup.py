"""The command-line app's root, and what every command shares: settings, refusals, finding
a customer by name or id."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interview_bot.app import EncryptionNotConfigured, cipher_from
from interview_bot.settings import Settings
from storage import (
    customers,
)

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
    """A customer named on the command line: `#12` or `12` by id, else by name."""
    key = name_or_id.strip().lstrip("#")
    if key.isdecimal() and await customers.get(session, int(key)) is not None:
        return int(key)
    found = await customers.find_by_name(session, name_or_id)
    if not found:
        raise fail(f"there is no customer {name_or_id!r}")
    if len(found) > 1:
        ids = ", ".join(f"#{c.id}" for c in found)
        raise fail(f"several customers are called {name_or_id!r} ({ids}); give the id")
    return found[0].id


