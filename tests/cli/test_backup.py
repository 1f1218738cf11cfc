"""Issue 24 (8): `backup` then `restore` into an empty database gives back the same data,
on SQLite and PostgreSQL, through the real command line."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Cli, Ran
from tests.cli.test_cli import EN_ANSWERS
from tests.conftest import _admin


def test_a_backup_restored_into_an_empty_database_holds_the_same(
        db_url: str, tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    def run(db: str, *args: str, stdin: str = "") -> Ran:
        return in_process(db)(*args, stdin=stdin)

    def exported(db: str, name: str) -> dict[str, object]:
        done = run(db, "export", "--format", "json", "--out", name, "--reason",
                   "backup check")
        assert done.returncode == 0, done.stderr
        document = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        document.pop("exported_at")
        return document

    assert run(db_url, "chat", "--flow", "pre_meeting", "--lang", "en", "--customer",
               "Acme 华东", "--new", stdin="\n".join(EN_ANSWERS) + "\n").returncode == 0
    noted = run(db_url, "customers", "note", "Acme", "钱经理说下周三给预算")
    assert noted.returncode == 0, noted.stderr
    before = exported(db_url, "before.json")

    made = run(db_url, "backup", "copy.backup")
    assert made.returncode == 0, made.stderr
    assert oct((tmp_path / "copy.backup").stat().st_mode)[-3:] == "600"

    if db_url.startswith("sqlite"):
        other = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    else:
        name = f"ib_restore_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        other = db_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        refused = run(other, "restore", "copy.backup")
        assert refused.returncode == 2 and "add --yes" in refused.stderr
        back = run(other, "restore", "copy.backup", "--yes")
        assert back.returncode == 0, back.stderr
        assert exported(other, "after.json") == before
        card = run(other, "customers", "show", "Acme", "--lang", "en")
        assert "钱经理说下周三给预算" in card.stdout, card.stderr
        trail = run(other, "audit", "--since", "2000-01-01")
        assert trail.stdout.rstrip().endswith("the trail is intact"), trail.stdout[-300:]
    finally:
        if not db_url.startswith("sqlite"):
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_restore_refuses_a_file_that_is_not_a_backup(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    refused = in_process(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")(
        "restore", "notes.txt", "--yes")
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("notes.txt is not a backup of this program's")
