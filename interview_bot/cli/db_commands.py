"""`db …`: the database schema."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from interview_bot.cli.command_setup import (
    db_app,
    load_settings,
)
from storage import (
    migrate,
)
from storage.database import create_engine


@db_app.command("upgrade")
def db_upgrade(db: Annotated[str | None, typer.Option(help="Database URL")] = None) -> None:
    """Apply database migrations (also done automatically on start)."""
    settings = load_settings(needs_keys=False, uses_database=db is None,
                             creates_database=True)
    asyncio.run(_upgrade(db or settings.database.url))


async def _upgrade(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        typer.echo(f"database at revision {await migrate.current_revision(engine)}")
    finally:
        await engine.dispose()


