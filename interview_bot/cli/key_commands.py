"""`keys …`: encryption keys for personal data."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Annotated

import typer

from interview_bot.app import App, open_app
from interview_bot.cli.command_setup import (
    app,
    fail,
    load_settings,
)
from interview_bot.settings import Settings
from storage import (
    crypto,
    rotation,
)
from storage.private_files import write_private

keys_app = typer.Typer(no_args_is_help=True, help="Encryption keys for personal data.")
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def keys_init(
    env_file: Annotated[Path, typer.Option(help="Where to write them")] = Path(".env"),
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when keys "
                                                                  "are already set")] = False,
) -> None:
    """Create an encryption key and a blind-index key and write them to .env."""
    settings = load_settings(needs_keys=False)
    if settings.security.encryption_keys or settings.security.blind_index_key:
        if if_missing:
            return
        raise fail("keys are already set; to replace the encryption key, put a new one "
                    "(`interview-bot keys new`) first in SECURITY_ENCRYPTION_KEYS and run "
                    "`interview-bot keys rotate`")
    lines = (f"SECURITY_ENCRYPTION_KEYS={crypto.new_key()}\n"
             f"SECURITY_BLIND_INDEX_KEY={secrets.token_urlsafe(48)}\n")
    existing = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    write_private(env_file, (existing + separator + lines).encode("utf-8"))
    typer.echo(f"wrote new keys to {env_file}. Keep a copy somewhere safe: without them the "
               "personal data in the database cannot be read.")


@keys_app.command("new")
def keys_new() -> None:
    """Print a new encryption key (to put first in SECURITY_ENCRYPTION_KEYS)."""
    typer.echo(crypto.new_key())


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Change nothing: say whether any value is still under another key "
                        "(exit 1 if so); run it before dropping an old key")] = False,
) -> None:
    """Re-encrypt every value not written with the current (first) key, and rebuild the
    blind indexes. Each batch commits: after a crash, run it again to finish."""
    settings = load_settings()
    if not check_only:
        counts = asyncio.run(_rotate(settings, batch))
        for column, count in counts.items():
            typer.echo(f"{column}: {count} re-encrypted")
    left = asyncio.run(_check(settings))
    if left.clean:
        typer.echo("every value is now under the current key: older keys may be dropped "
                   "from SECURITY_ENCRYPTION_KEYS")
        return
    for column, count in left.older.items():
        typer.echo(f"{column}: {count} under an older key (`interview-bot keys rotate`)")
    for column, count in left.plain.items():
        typer.echo(f"{column}: {count} not encrypted yet (`interview-bot keys rotate`)")
    for column, by_key in left.unknown.items():
        for key, count in by_key.items():
            typer.echo(f"{column}: {count} under key {key}, which is not configured: add it "
                       "to SECURITY_ENCRYPTION_KEYS, after the current one")
    typer.echo("keep every key in SECURITY_ENCRYPTION_KEYS until this says nothing is left",
               err=True)
    raise typer.Exit(1)


async def _cipher(app_: App) -> crypto.Cipher:
    cipher = crypto.cipher_of(app_.engine.sync_engine.dialect)
    if cipher is None:
        raise fail("SECURITY_DEMO is on and no keys are set: nothing to rotate to")
    return cipher


async def _rotate(settings: Settings, batch: int) -> dict[str, int]:
    async with open_app(settings) as app_:
        return await rotation.rotate(app_.sessions, await _cipher(app_), batch)


async def _check(settings: Settings) -> rotation.KeyCheck:
    async with open_app(settings) as app_, app_.sessions() as session:
        return await rotation.check(session, await _cipher(app_))
