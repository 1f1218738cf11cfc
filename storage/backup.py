"""Backups an operator can restore: SQLite through its online backup API (a consistent copy
while the bot runs), PostgreSQL through pg_dump's custom format and pg_restore. The files
hold personal data (encrypted as in the database), so they are written 0600; without the
keys in .env they cannot be read, so keep the keys too, elsewhere."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.private_files import touch_private


class BackupProblem(RuntimeError):
    """A backup or restore that cannot be done; one line: what, and what to do."""


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupProblem(f"{name} is not installed: install PostgreSQL's client tools "
                            "(Debian: apt-get install postgresql-client) of the server's "
                            "major version or newer")
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupProblem(f"{Path(command[0]).name} failed: {last}")


def backup(database_url: str, out: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        touch_private(out)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              "--file", str(out), _libpq(url)])
        return
    source = Path(url.database or "")
    if not source.is_file():
        raise BackupProblem(f"there is no SQLite database at {source}: check DATABASE_URL")
    partial = out.with_name(out.name + ".partial")
    touch_private(partial)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
            sqlite3.connect(partial) as dst:
        src.backup(dst)
    os.replace(partial, out)


def restore(database_url: str, backup_file: Path) -> None:
    """Replace the database's contents with the backup's (stop the bot first)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--dbname", _libpq(url), str(backup_file)])
        return
    try:
        with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as src:
            src.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise BackupProblem(f"{backup_file} is not a backup of this program's SQLite "
                            "database (for PostgreSQL, restore into a PostgreSQL "
                            "DATABASE_URL)") from None
    target = Path(url.database or "")
    touch_private(target)
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
