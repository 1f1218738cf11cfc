"""The command line run in-process (typer's runner): what a user types and reads, without
an interpreter start per command (a second each here). Tests of what only a real process
shows (exit on a signal, the one-line errors of main(), files' modes) start real ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., Ran]


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Cli]:
    """`in_process(database_url)` → run(*args, stdin="", **env): one command, in tmp_path."""
    from interview_bot.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def on(database_url: str) -> Cli:
        def run(*args: str, stdin: str = "", **env: str) -> Ran:
            result = runner.invoke(app, list(args), input=stdin,
                                   env={"DATABASE_URL": database_url, **env})
            return Ran(result.exit_code, result.stdout, result.stderr)
        return run

    return on
