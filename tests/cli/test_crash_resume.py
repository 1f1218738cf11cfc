"""SIGKILL in the middle of a terminal interview loses no answer that was acknowledged."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import scripts
from tests.cli.test_cli import EN_ANSWERS
from tests.scripts import saving, shipped

# What a reply to one input ends with: the next question's options or text, or the end.
READY_TIMEOUT = 30.0


def as_from_a_shell() -> None:
    """Ctrl-C as a terminal delivers it: a test worker may run with SIGINT ignored, and a
    child inherits that (Python then never installs its own handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Chat:
    """A live `interview-bot chat` process, driven one answer at a time."""

    def __init__(self, db: Path, cwd: Path, customer: str = "Acme") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "interview_bot", "chat", "--flow", "pre_meeting", "--lang",
             "en", "--customer", customer, "--new", "--db", f"sqlite:///{db}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
            env={**env, "PYTHONUNBUFFERED": "1"}, preexec_fn=as_from_a_shell)
        self.buffer = b""

    def wait_for_prompt(self) -> str:
        """Read until a complete reply has been printed (a question heading and its text)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.buffer += chunk
                text = self.buffer.decode("utf-8", "replace")
                if self._complete(text):
                    self.buffer = b""
                    return text
        raise AssertionError(f"no reply; got {self.buffer!r}, stderr {self._stderr()}")

    @staticmethod
    def _complete(text: str) -> bool:
        if "Thank you!" in text:
            return True
        # a prompt is "[n/m · Stage]" then its text line (and options, printed in one write)
        head = text.rfind("\n[")
        return head != -1 and text.endswith("\n") and text.count("\n", head + 1) >= 2

    def send(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()
        return self.wait_for_prompt()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def _stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(running)"
        return self.proc.stderr.read().decode("utf-8", "replace")


def current_answers(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT question_id, raw_text FROM answers "
                            "WHERE superseded_at IS NULL ORDER BY id").fetchall()


STORES = saving(shipped()["pre_meeting"], scripts.PRE_MEETING)
BUDGET = EN_ANSWERS.index("3", EN_ANSWERS.index("Year end")) + 1  # the budget range typed


@pytest.mark.parametrize("kill_after", [1, 7, BUDGET])  # 7 and BUDGET wait for a "yes"
def test_killed_interview_resumes_with_nothing_lost(tmp_path: Path, kill_after: int) -> None:
    db = tmp_path / "crash.db"
    first = Chat(db, tmp_path)
    try:
        first.wait_for_prompt()
        for answer in EN_ANSWERS[:kill_after]:
            first.send(answer)  # the reply means the answer was committed
    finally:
        first.kill()
    acknowledged = current_answers(db)
    assert len(acknowledged) == sum(STORES[:kill_after])  # a key fact typed awaits its "yes"

    second = Chat(db, tmp_path)
    try:
        resumed = second.wait_for_prompt()
        assert "Picking up where you left off." in resumed
        if kill_after == BUDGET:
            assert "Let me confirm: Roughly which range is the budget in?" in resumed
        for answer in EN_ANSWERS[kill_after:]:
            reply = second.send(answer)
        assert "Thank you! All answers are saved." in reply
    finally:
        second.close()

    final = current_answers(db)
    assert final[: len(acknowledged)] == acknowledged
    total = sum(STORES)
    assert len(final) == total and len({q for q, _ in final}) == total
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM interviews").fetchone()[0] == 1
