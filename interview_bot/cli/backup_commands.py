"""`backup` and `restore`: the database to a file and back (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interview_bot.cli.command_setup import app, fail, load_settings
from scheduler.single_dispatcher import DispatcherLock, DispatcherLocked
from storage import backup as backups
from storage.database import normalise_url


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Argument(help="The file to write (0600)")],
) -> None:
    """A consistent copy of the database while the bot runs: SQLite's online backup, or
    pg_dump's custom format for PostgreSQL. Keep .env's keys too: without them the
    personal data in it cannot be read."""
    url = normalise_url(load_settings(needs_keys=False, uses_database=True).database.url)
    try:
        backups.backup(url, out)
    except backups.BackupProblem as exc:
        raise fail(str(exc)) from None
    typer.echo(f"wrote {out} ({out.stat().st_size:,} bytes)")


@app.command("restore")
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file `backup` wrote", exists=True,
                                                dir_okay=False, readable=True)],
    yes: Annotated[bool, typer.Option("--yes", help="Yes, replace what the database holds")]
    = False,
) -> None:
    """Replace the database's contents with a backup's. Stop the bot (and the web server)
    first; start them again after: they bring an older backup's schema up to date."""
    if not yes:
        raise fail("restoring replaces everything the database holds now: add --yes (and "
                   "consider `interview-bot backup` of it first)")
    url = normalise_url(load_settings(needs_keys=False, uses_database=True,
                                      creates_database=True).database.url)
    lock = None
    if url.startswith("sqlite") and "/" in url:
        lock = DispatcherLock(url.split("///", 1)[1].split("?", 1)[0])
        try:
            lock.acquire()  # held by a running bot: then not now
        except DispatcherLocked:
            raise fail("the bot is running on this database: stop it, then restore") from None
    try:
        backups.restore(url, backup_file)
    except backups.BackupProblem as exc:
        raise fail(str(exc)) from None
    finally:
        if lock is not None:
            lock.release()
    typer.echo(f"restored {backup_file}; start the bot to bring its schema up to date")
