"""Two terminals on one customer's interview: an answer lands only on the question it was
typed at; the other window is told the interview moved on (issue 17, problem 1)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.test_crash_resume import Chat, current_answers
from tests.conftest import TEST_CIPHER

MOVED_ON = "This interview moved on in another window"


def test_answers_from_a_stale_window_are_refused_not_misfiled(tmp_path: Path) -> None:
    db = tmp_path / "dual.db"
    a = Chat(db, tmp_path, customer="Dual")
    try:
        a.wait_for_prompt()
        b = Chat(db, tmp_path, customer="Dual")  # resumes the same interview
        try:
            b.wait_for_prompt()  # both windows show question 1 (industry)
            assert MOVED_ON not in a.send("1")
            refused = b.send("3")  # typed at question 1, which A already answered
            assert MOVED_ON in refused and "how many people" in refused
            assert MOVED_ON not in a.send("250")
            refused = b.send("Li Wei")  # typed at the head count, answered by A meanwhile
            assert MOVED_ON in refused and "[3/" in refused
            assert MOVED_ON not in b.send("Li Wei")  # now at the question it shows: taken
        finally:
            b.close()
    finally:
        a.close()
    answers = {q: TEST_CIPHER.decrypt(raw or "") for q, raw in current_answers(db)}
    assert answers == {"industry": "1", "employees": "250", "contact_name": "Li Wei"}
    with sqlite3.connect(db) as conn:
        employees = conn.execute("SELECT employees FROM customers WHERE name = 'Dual'").fetchone()
    assert employees == (250,)
