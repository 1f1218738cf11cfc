"""The README's quick start, command by command, on a fresh folder and database (issue 17,
problem 6): what a newcomer types must work as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "interview_bot"]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()
            if line.split("#", 1)[0].strip()]


def make_target(name: str) -> list[str]:
    """The recipe lines of a Makefile target, as make would run them."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split(f"\n{name}:", 1)[1]
    lines = []
    for line in recipe.splitlines()[1:]:
        if not line.startswith("\t"):
            break
        lines.append(line.strip())
    return lines


def test_every_quick_start_command_works_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "SECURITY_", "TELEGRAM_", "INTERVIEW_"))}
    env["HOME"] = str(home)
    commands = quick_start_commands()
    assert commands[0] == "make run" and "cp .env ~/interview-bot-keys.env" in commands
    outputs: dict[str, str] = {}
    for command in commands:
        if command == "make run":
            steps = make_target("run")
            steps = [step.split(" || ", 1)[0] for step in steps]  # "|| [ $? -eq 130 ]"
            assert steps == ["$(BIN)/interview-bot keys init --if-missing",
                             "$(BIN)/interview-bot run"]
            runs = [(shlex.split(step.replace("$(BIN)/interview-bot", "")),
                     "Acme Ltd\n1\n250\n" if step.endswith(" run") else "") for step in steps]
            for args, stdin in runs:
                result = subprocess.run([*CLI, *args], input=stdin, capture_output=True,
                                        text=True, cwd=tmp_path, env=env, timeout=120,
                                        check=False)
                assert result.returncode == 0, (args, result.stderr)
            continue
        words = shlex.split(command)
        if words[0] == ".venv/bin/interview-bot":
            result = subprocess.run([*CLI, *words[1:]], capture_output=True, text=True,
                                    cwd=tmp_path, env=env, timeout=120, check=False)
        else:
            result = subprocess.run(command, shell=True, capture_output=True, text=True,
                                    cwd=tmp_path, env=env, timeout=60, check=False)
        assert result.returncode == 0, (command, result.stderr)
        outputs[command] = result.stdout
    listed = outputs[".venv/bin/interview-bot customers list"]
    assert "#1" in listed and "Acme Ltd" in listed
    card = outputs['.venv/bin/interview-bot customers show "Acme Ltd" --lang en']
    assert "Acme Ltd (#1)" in card and "Industry: Manufacturing" in card
    assert "Employees: 250" in card
    (export,) = (tmp_path / "exports").iterdir()
    assert export.suffix == ".xlsx"
    keys = (tmp_path / ".env").read_text(encoding="utf-8")
    assert "SECURITY_ENCRYPTION_KEYS=" in keys
    assert (home / "interview-bot-keys.env").read_text(encoding="utf-8") == keys
