"""The commonest mistakes end in one line that says what is wrong, which setting, and what
to do; exit code 2; no traceback unless asked for (issue 17, problem 2)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.cli.test_crash_resume import Chat, as_from_a_shell, current_answers
from tests.conftest import PG_ADMIN_URL

PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]
TOKEN = "123456:TEST-token"


def run(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "TELEGRAM_", "LOG_LEVEL"))}
    return subprocess.run([sys.executable, "-m", "interview_bot", *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env={**base, **env},
                          timeout=60, check=False)


def sqlite_with_an_interview(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'keyed.db'}"
    made = run("chat", "--customer", "Keyed", "--new", "--lang", "en", cwd=tmp_path, stdin="1\n",
               DATABASE_URL=url)
    assert made.returncode == 0, made.stderr
    return url


# (what the user did, environment, arguments) -> (the first line of stderr, exit code)
CASES: list[tuple[str, dict[str, str], list[str], str, int]] = [
    ("PostgreSQL not running", {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"},
     ["users", "list"],
     "cannot connect to the database server ([Errno 111] Connect call failed ('127.0.0.1', "
     "1)): is PostgreSQL running there, and are the host and port in DATABASE_URL right?", 2),
    ("database missing", {"DATABASE_URL": f"{PG_BASE}/no_such_db_17"}, ["users", "list"],
     'PostgreSQL refused: database "no_such_db_17" does not exist — create the database '
     "(`createdb NAME`) or fix the name in DATABASE_URL", 2),
    ("role missing", {"DATABASE_URL": "postgresql://no_such_role_17@" +
                      PG_BASE.split("@", 1)[1] + "/test"}, ["users", "list"],
     'PostgreSQL refused: role "no_such_role_17" does not exist — create the role '
     "(`createuser NAME`) or fix the user in DATABASE_URL", 2),
    ("malformed URL", {"DATABASE_URL": "sqlite+aiosqlite//data.db"}, ["users", "list"],
     "DATABASE_URL 'sqlite+aiosqlite//data.db' is not a database URL: expected "
     "sqlite:///data/interviews.db or postgresql://user@host:5432/dbname", 2),
    ("MySQL URL", {"DATABASE_URL": "mysql://root@localhost/crm"}, ["users", "list"],
     "DATABASE_URL uses 'mysql', which this program does not support: use "
     "sqlite:///data/interviews.db or postgresql://user@host:5432/dbname", 2),
    ("read-only SQLite", {"DATABASE_URL": "sqlite:///{tmp}/keyed.db?mode=ro"},
     ["users", "add", "--telegram-id", "5", "--name", "Li", "--role", "rep"],
     "the SQLite database is read-only (its file or folder permissions, or ?mode=ro in "
     "DATABASE_URL): give this user write access, or point DATABASE_URL at a writable file", 2),
    ("data under another key", {"DATABASE_URL": "sqlite:///{tmp}/keyed.db",
                                "SECURITY_ENCRYPTION_KEYS": "{other_key}"},
     ["chat", "--customer", "Keyed", "--lang", "en"],
     "personal data in this database was encrypted with key {key_id}, which is not among the "
     "configured keys ({other_id}): add that key to SECURITY_ENCRYPTION_KEYS (from your "
     "backup of .env), after the current one", 2),
    ("a garbage key", {"SECURITY_ENCRYPTION_KEYS": "garbage"}, ["users", "list"],
     "refusing to start: SECURITY_ENCRYPTION_KEYS holds a value that is not a Fernet key (44 "
     "characters of url-safe base64): put back the key this database was written with, from "
     "your backup of .env (`keys init` makes keys only where none are set)", 2),
    ("an unknown customer id", {"DATABASE_URL": "sqlite:///{tmp}/keyed.db"},
     ["chat", "--customer-id", "999"],
     "there is no customer #999: check the id, or give --customer NAME to find or start one "
     "by name", 2),
    ("a malformed bot token", {"TELEGRAM_BOT_TOKEN": "garbage"}, ["run"],
     "TELEGRAM_BOT_TOKEN is not a bot token: expected the bot's number, a colon and its "
     "secret (123456789:AAE…), as @BotFather gives it", 2),
    ("an unreachable Bot API", {"TELEGRAM_BOT_TOKEN": TOKEN,
                                "TELEGRAM_API_SERVER": "http://127.0.0.1:1"}, ["run"],
     "cannot reach the Telegram Bot API at http://127.0.0.1:1 (HTTP Client says - "
     "ClientConnectorError: Cannot connect to host 127.0.0.1:1 ssl:default [Connect call "
     "failed ('127.0.0.1', 1)]): check TELEGRAM_API_SERVER", 2),
    ("Feishu without its secret", {"FEISHU_APP_ID": "cli_a1b2"}, ["run"],
     "FEISHU_APP_ID is set but FEISHU_APP_SECRET is not (the app's secret)", 2),
    ("Feishu events without their keys", {"FEISHU_APP_ID": "cli_a1b2",
                                          "FEISHU_APP_SECRET": "s"}, ["run"],
     "FEISHU_MODE=callback needs FEISHU_VERIFICATION_TOKEN and FEISHU_ENCRYPT_KEY (Events & "
     "Callbacks → Encryption strategy in the developer console), so that only Feishu's signed "
     "events are taken; or use FEISHU_MODE=long", 2),
    ("an unreachable Feishu", {"FEISHU_APP_ID": "cli_a1b2", "FEISHU_APP_SECRET": "s",
                               "FEISHU_MODE": "long", "FEISHU_DOMAIN": "http://127.0.0.1:1"},
     ["run"],
     "cannot reach Feishu at http://127.0.0.1:1 (connection refused or no route): check "
     "FEISHU_DOMAIN and the network (open.feishu.cn is reachable from mainland China, "
     "open.larksuite.com from elsewhere)", 2),
    ("a mistyped Feishu open id", {}, ["users", "add", "--feishu-open-id", "12345", "--name",
                                       "Li", "--role", "rep"],
     "'12345' is not a Feishu open id: expected ou_ and letters and digits, such as "
     "ou_7d8a6e6df7621556ce0d21922b676706", 2),
    ("a user with no channel", {}, ["users", "add", "--name", "Li", "--role", "rep"],
     "give --telegram-id, --feishu-open-id or --dingtalk-user-id (or several): where does "
     "this person talk to the bot?", 2),
    ("DingTalk without its secret", {"DINGTALK_CLIENT_ID": "dingabc"}, ["run"],
     "DINGTALK_CLIENT_ID is set but DINGTALK_CLIENT_SECRET is not (the app's Client Secret, "
     "on its Credentials page in the developer console)", 2),
    ("an unreachable DingTalk", {"DINGTALK_CLIENT_ID": "dingabc", "DINGTALK_CLIENT_SECRET": "s",
                                 "DINGTALK_OPENAPI_ENDPOINT": "http://127.0.0.1:1"}, ["run"],
     "cannot reach DingTalk at http://127.0.0.1:1 (ClientConnectorError): check "
     "DINGTALK_OPENAPI_ENDPOINT and the network", 2),
    ("a mistyped DingTalk user id", {}, ["users", "add", "--dingtalk-user-id", "wang fang",
                                         "--name", "Li", "--role", "rep"],
     "'wang fang' is not a DingTalk user id: expected up to 64 letters, digits, _ or -, such "
     "as 0123456789012345", 2),
    # issue 24, point 6: settings and paths
    ("admin ids that are not numbers", {"ADMIN_TELEGRAM_IDS": "111,abc"}, ["users", "list"],
     "ADMIN_TELEGRAM_IDS='111,abc' cannot be used: 'abc' is not a Telegram user id: expected "
     "whole numbers separated by commas, e.g. 111,222", 2),
    ("a flow list that is not JSON", {"INTERVIEW_FLOWS": "flows/a.yaml"}, ["users", "list"],
     "INTERVIEW_FLOWS='flows/a.yaml' cannot be used: expected a JSON list, e.g. "
     "INTERVIEW_FLOWS='[\"flows/questions.yaml\"]'", 2),
    ("a port that is not a number", {"WEB_PORT": "eighty"}, ["users", "list"],
     "WEB_PORT='eighty' cannot be used: expected a whole number", 2),
    ("a mistyped SQLite folder", {"DATABASE_URL": "sqlite:///{tmp}/dta/interviews.db"},
     ["users", "list"],
     "DATABASE_URL: the folder {tmp}/dta of the SQLite database does not exist: fix the path, "
     "or create the folder first (a mistyped path would start a new, empty database)", 2),
    ("another folder, no .env", {}, ["customers", "list"],
     "no database here: DATABASE_URL is not set and there is no .env in {tmp} or a folder "
     "above it. Run this from the project's folder (where `make run` wrote .env), or set "
     "DATABASE_URL", 2),
    ("a reason too short", {"DATABASE_URL": "sqlite:///{tmp}/keyed.db"},
     ["export", "--reason", "t"],
     "--reason 't' is too short: say in a few words why the data is copied out (at least 2 "
     "characters), e.g. --reason \"quarterly review\"", 2),
]


@pytest.mark.parametrize(("case", "env", "args", "first_line", "code"), CASES,
                         ids=[c[0] for c in CASES])
def test_an_operational_error_is_one_line(
        tmp_path: Path, postgres_available: str | None, case: str, env: dict[str, str],
        args: list[str], first_line: str, code: int) -> None:
    if case in ("database missing", "role missing") and postgres_available:
        pytest.skip(postgres_available)
    values = {"tmp": str(tmp_path)}
    if any("{tmp}" in v for v in env.values()):
        sqlite_with_an_interview(tmp_path)
    if case == "data under another key":
        from storage.crypto import key_id

        other = Fernet.generate_key().decode()
        values.update(other_key=other, other_id=key_id(other),
                      key_id=key_id(os.environ["SECURITY_ENCRYPTION_KEYS"].split(",")[0]))
    result = run(*args, cwd=tmp_path, **{k: v.format(**values) for k, v in env.items()})
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0] == first_line.format(**values), result.stderr
    if args[0] not in ("run", "chat"):  # those start a database; the rest only read
        assert not (tmp_path / "dta").exists() and not (tmp_path / "data").exists()
    assert result.returncode == code
    assert "Traceback" not in result.stderr and len(lines) <= 2, result.stderr
    if case == "PostgreSQL not running":  # the traceback, when asked for
        debug = run(*args, "--debug", cwd=tmp_path, **env)
        assert "Traceback" in debug.stderr and debug.returncode == 1


def interrupt(proc: subprocess.Popen[bytes]) -> int:
    """Ctrl-C, and again if it fell before the read began: CPython acts on a signal when a
    blocking read returns, so one that lands between printing the prompt and reading is
    only seen at the next (a person presses again; on a loaded machine a test must too)."""
    for _ in range(10):
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            continue
    raise AssertionError("the process ignored ten Ctrl-C")


def test_ctrl_c_during_a_question_saves_and_exits_130(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "c.db", tmp_path)
    try:
        chat.wait_for_prompt()
        chat.send("1")
        code = interrupt(chat.proc)
        assert chat.proc.stdout is not None and chat.proc.stderr is not None
        out, err = chat.proc.stdout.read().decode(), chat.proc.stderr.read().decode()
    finally:
        chat.close()
    assert code == 130
    assert "Interrupted. Every answer given so far is saved" in out
    assert "Traceback" not in err and "CancelledError" not in err
    assert [q for q, _ in current_answers(tmp_path / "c.db")] == ["industry"]


def test_ctrl_c_at_the_company_prompt_exits_130_quietly(tmp_path: Path) -> None:
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    proc = subprocess.Popen([sys.executable, "-m", "interview_bot", "chat", "--db",
                             f"sqlite:///{tmp_path / 'p.db'}"], stdin=child, stdout=child,
                            stderr=child, cwd=tmp_path, env=env, close_fds=True,
                            preexec_fn=as_from_a_shell)
    os.close(child)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"Customer (company) name" not in seen and time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                seen += os.read(main, 4096)
        assert b"Customer (company) name" in seen, seen
        code = interrupt(proc)
        while select.select([main], [], [], 0.2)[0]:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    text = seen.decode("utf-8", "replace")
    assert code == 130
    assert "Nothing was started" in text
    assert "Traceback" not in text and "Aborted" not in text
