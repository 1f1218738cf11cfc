"""Issue 24 (8): `backup` then `restore` into an empty database gives back the same data,
on SQLite and PostgreSQL, through the real command line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.cli.test_cli import EN_ANSWERS
from tests.conftest import _admin


def run(db: str, cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db}
    return subprocess.run([sys.executable, "-m", "interview_bot", *args], input=stdin, env=env,
                          capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def exported(db: str, cwd: Path, name: str) -> dict[str, object]:
    done = run(db, cwd, "export", "--format", "json", "--out", name, "--reason", "backup check")
    assert done.returncode == 0, done.stderr
    document = json.loads((cwd / name).read_text(encoding="utf-8"))
    document.pop("exported_at")
    return document


def test_a_backup_restored_into_an_empty_database_holds_the_same(
        db_url: str, tmp_path: Path) -> None:
    assert run(db_url, tmp_path, "chat", "--flow", "pre_meeting", "--lang", "en", "--customer",
               "Acme 华东", "--new", stdin="\n".join(EN_ANSWERS) + "\n").returncode == 0
    noted = run(db_url, tmp_path, "customers", "note", "Acme", "钱经理说下周三给预算")
    assert noted.returncode == 0, noted.stderr
    before = exported(db_url, tmp_path, "before.json")

    made = run(db_url, tmp_path, "backup", "copy.backup")
    assert made.returncode == 0, made.stderr
    assert oct((tmp_path / "copy.backup").stat().st_mode)[-3:] == "600"

    if db_url.startswith("sqlite"):
        other = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    else:
        name = f"ib_restore_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        other = db_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        refused = run(other, tmp_path, "restore", "copy.backup")
        assert refused.returncode == 2 and "add --yes" in refused.stderr
        back = run(other, tmp_path, "restore", "copy.backup", "--yes")
        assert back.returncode == 0, back.stderr
        assert exported(other, tmp_path, "after.json") == before
        card = run(other, tmp_path, "customers", "show", "Acme", "--lang", "en")
        assert "钱经理说下周三给预算" in card.stdout, card.stderr
        trail = run(other, tmp_path, "audit", "--since", "2000-01-01")
        assert trail.stdout.rstrip().endswith("the trail is intact"), trail.stdout[-300:]
    finally:
        if not db_url.startswith("sqlite"):
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    db = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    refused = run(db, tmp_path, "restore", "notes.txt", "--yes")
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("notes.txt is not a backup of this program's")
