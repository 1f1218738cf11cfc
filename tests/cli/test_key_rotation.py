"""Key rotation as the README tells an operator to do it (issue 24, point 2): a new key
first, `keys rotate`, `keys rotate --check`, then the old key dropped — and every command
still reads everything, notes and export reasons included."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from tests.cli.conftest import Cli, Ran
from tests.cli.test_cli import EN_ANSWERS


def test_after_rotation_the_old_key_can_go_and_every_command_still_works(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    old = os.environ["SECURITY_ENCRYPTION_KEYS"].split(",")[0]
    new = Fernet.generate_key().decode()
    cli = in_process(f"sqlite:///{tmp_path / 'r.db'}")

    def run(keys: list[str], *args: str, stdin: str = "") -> Ran:
        return cli(*args, stdin=stdin, SECURITY_ENCRYPTION_KEYS=",".join(keys))

    assert run([old], "chat", "--flow", "pre_meeting", "--lang", "en", "--customer", "Acme",
               "--new", stdin="\n".join(EN_ANSWERS) + "\n").returncode == 0
    assert run([old], "customers", "note", "Acme", "钱经理说下周三给预算").returncode == 0
    assert run([old], "export", "--format", "json", "--out", "before.json",
               "--reason", "quarterly review").returncode == 0

    pending = run([new, old], "keys", "rotate", "--check")
    assert pending.returncode == 1
    assert "notes.text: 1 under an older key" in pending.stdout
    assert "access_reasons.reason: 1 under an older key" in pending.stdout
    rotated = run([new, old], "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "notes.text: 1 re-encrypted" in rotated.stdout
    assert "every value is now under the current key" in rotated.stdout
    assert run([new, old], "keys", "rotate", "--check").returncode == 0

    trail = run([new], "audit", "--since", "2000-01-01")
    assert trail.returncode == 0, trail.stderr
    assert "reason: quarterly review" in trail.stdout
    card = run([new], "customers", "show", "Acme")
    assert card.returncode == 0, card.stderr
    assert "钱经理说下周三给预算" in card.stdout
    assert run([new], "export", "--format", "json", "--out", "after.json",
               "--reason", "after rotation").returncode == 0
    held = run([new], "customers", "export-personal", "Acme")
    assert held.returncode == 0 and "Li Wei" in held.stdout

    gone = run([new], "keys", "rotate", "--check")  # nothing left under the dropped key
    assert gone.returncode == 0
