"""The `interview-bot` command as a user runs it: real processes, real SQLite files."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import migrate
from tests import scripts
from tests.cli.conftest import Cli
from tests.conftest import TEST_CIPHER
from tests.scripts import answered, script, shipped

BROKEN = """\
flows:
  - id: demo
    title: Demo
    audience: customers
    version: 1
    questions:
      - id: size
        stage: background
        type: integer
        txt: How many
      - id: later
        stage: background
        type: text
        text: "About {size}"
        when: size > "ten"
"""

EN_ANSWERS = script(shipped()["pre_meeting"], scripts.PRE_MEETING)


def cli(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "INTERVIEW_"))}
    return subprocess.run([sys.executable, "-m", "interview_bot", *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=60,
                          check=False)


def cli_on(db: str, cwd: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A runner for tests that give several commands against one database."""
    env = {**os.environ, "DATABASE_URL": db}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "interview_bot", *args], env=env,
                              capture_output=True, text=True, cwd=cwd, timeout=60,
                              check=False)

    return run


def test_validate_reports_every_problem_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    result = cli("validate", "broken.yaml", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "broken.yaml:4:15: F103 'customers' is not a valid `audience`" in lines[0]
    assert any(line.startswith("broken.yaml:10:9: F101 unknown key `txt`") for line in lines)
    assert lines[-1] == f"{len(lines) - 1} problem(s) found"


def test_validate_accepts_the_shipped_flows(tmp_path: Path) -> None:
    result = cli("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ok  pre_meeting v3: 49 questions" in result.stdout


def test_flows_lists_questions_per_spin_stage(tmp_path: Path) -> None:
    result = cli("flows", cwd=tmp_path)
    row = next(line for line in result.stdout.splitlines() if line.startswith("post_call"))
    assert row.split()[:7] == ["post_call", "rep", "21", "2", "1", "7", "31"]
    # the seed 000 bank, every item carried on its stage (issue 15)
    for stage, count in (("background", 14), ("pain_point", 8), ("implication", 5),
                         ("need_payoff", 10)):
        assert f"  {stage}: {count} of {count} items" in result.stdout
    assert "MISSING" not in result.stdout
    assert "decision.2      what they plan to do next: pre_meeting.next_plans" in result.stdout


def test_piped_interview_completes_with_one_invalid_answer_asked_again(tmp_path: Path) -> None:
    answers = [*EN_ANSWERS[:1], "lots", *EN_ANSWERS[1:]]
    db = tmp_path / "chat.db"
    result = cli("chat", "--flow", "pre_meeting", "--lang", "en", "--customer", "Acme", "--new",
                 "--db", f"sqlite:///{db}", stdin="\n".join(answers) + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # the refusal comes with the same question again, before anything else is asked
    assert re.search(r"⚠ Please enter a whole number between 1 and 1,000,000\.\n\n"
                     r"\[2/\d+ · Situation\]\n", out)
    assert "Thank you! All answers are saved." in out
    with sqlite3.connect(db) as conn:
        employees, priority, timeline = conn.execute(
            "SELECT employees, priority, timeline FROM customers WHERE name = 'Acme'").fetchone()
        stored = conn.execute("SELECT count(*) FROM answers WHERE superseded_at IS NULL")
        status = conn.execute("SELECT status FROM interviews").fetchone()[0]
        assert timeline.startswith("enc:")  # free text on the card is encrypted (issue 17)
        assert (employees, priority, TEST_CIPHER.decrypt(timeline)) == (
            250, "high", "within_1_month")
        # one per question asked, the skipped ones included
        assert stored.fetchone()[0] == len(answered(shipped()["pre_meeting"], scripts.PRE_MEETING))
        assert status == "completed"


def test_chinese_is_the_default_language(tmp_path: Path) -> None:
    result = cli("chat", "--customer", "某公司", "--new", "--db", f"sqlite:///{tmp_path / 'zh.db'}",
                 stdin="1\n", cwd=tmp_path)
    assert "贵公司主要属于哪个行业？" in result.stdout
    assert "公司目前大约有多少名员工？" in result.stdout
    assert "回答已保存。再次运行同一命令即可继续。" in result.stdout


def test_unknown_flow_is_a_clear_error(tmp_path: Path) -> None:
    result = cli("chat", "--flow", "nope", "--customer", "Acme", "--new",
                 "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert ("there is no flow `nope` (flows: clean_up, post_call, pre_meeting, revisit, "
            "verify)") in result.stderr


def test_piped_input_needs_a_customer_name(tmp_path: Path) -> None:
    result = cli("chat", "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert "--customer NAME" in result.stderr


def test_bad_settings_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("INTERVIEW_TIMEZONE=Mars/Base\n", encoding="utf-8")
    result = cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown time zone 'Mars/Base'" in result.stderr


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    result = cli("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'up.db'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"database at revision {migrate.head_revision()}"


def test_reminders_list_shows_overdue_customers(tmp_path: Path) -> None:
    import asyncio
    from datetime import date

    from interview_bot.app import open_app
    from interview_bot.settings import DatabaseSettings, Settings
    from storage.models import Customer, utcnow

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"

    async def seed() -> None:
        async with open_app(Settings(database=DatabaseSettings(url=url))) as app, \
                app.sessions.begin() as s:
            s.add(Customer(name="Late Ltd", name_key="late ltd", tags=[],
                           revisit_due_on=date(2020, 1, 1), created_at=utcnow(),
                           updated_at=utcnow()))

    asyncio.run(seed())
    env_url = {"DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "interview_bot", "reminders", "list",
                             "--overdue"], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, **env_url}, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Late Ltd  due 2020-01-01" in result.stdout and "days overdue" in result.stdout


def test_export_and_report_from_the_command_line(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    """A terminal interview, then the manager's two files: Excel and the chart."""
    from openpyxl import load_workbook
    from PIL import Image

    run = in_process(f"sqlite:///{tmp_path / 'x.db'}")
    done = run("chat", "--flow", "pre_meeting", "--lang", "en", "--customer", "Acme 华东",
               "--new", stdin="\n".join(EN_ANSWERS) + "\n")
    assert done.returncode == 0, done.stderr

    refused = run("export", "--format", "xlsx")
    assert refused.returncode == 2 and "needs a reason on record" in refused.stderr
    exported = run("export", "--format", "xlsx", "--out", "team.xlsx", "--lang", "en",
                   "--reason", "quarterly review")
    assert exported.returncode == 0, exported.stderr
    assert "wrote team.xlsx: 1 interview(s), 1 customer(s), 1 contact(s)" in exported.stdout
    book = load_workbook(tmp_path / "team.xlsx")
    assert book.sheetnames == ["Before our meeting", "customers", "contacts"]
    assert book["customers"]["B2"].value == "Acme 华东"
    reported = run("report", "--out", "week.png")
    assert reported.returncode == 0, reported.stderr
    assert "团队周报" in reported.stdout and "客户 1 家" in reported.stdout
    with Image.open(tmp_path / "week.png") as chart:
        assert chart.format == "PNG"
    trail = run("audit", "--customer", "Acme 华东")
    assert trail.returncode == 0, trail.stderr
    assert "interview.start  interview#1" in trail.stdout
    assert trail.stdout.rstrip().endswith("the trail is intact")
    everything = run("audit", "--since", "2000-01-01")
    assert "export  export [xlsx]  cli  ok  reason: quarterly review" in everything.stdout
    for bad, message in ((("audit", "--customer", "Nobody"), "there is no customer 'Nobody'"),
                         (("export", "--format", "pdf"), "unknown format 'pdf'"),
                         (("export", "--since", "last week", "--reason", "QBR"),
                          "is not a date"),
                         (("export", "--flow", "nope", "--reason", "QBR"),
                          "there is no flow 'nope'")):
        result = run(*bad)
        assert result.returncode == 2 and message in result.stderr, result.stderr


def test_staff_changes_and_reassignment_from_the_command_line(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    run = in_process(f"sqlite:///{tmp_path / 's.db'}")

    for tg, role, name in ((11, "rep", "Wang"), (12, "rep", "Chen")):
        assert run("users", "add", "--telegram-id", str(tg), "--role", role,
                   "--name", name).returncode == 0
    import asyncio

    from interview_bot.app import open_app
    from interview_bot.settings import DatabaseSettings, Settings
    from storage import customers
    from storage.models import utcnow

    async def seed() -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 's.db'}"
        async with open_app(Settings(database=DatabaseSettings(url=url))) as app, \
                app.sessions.begin() as s:
            for name in ("Acme", "Beta"):
                await customers.create(s, name, utcnow(), owner_id=1)

    asyncio.run(seed())
    refused = run("users", "deactivate", "--telegram-id", "11")
    assert refused.returncode == 2
    assert "Wang still owns 2 customer(s); reassign them first" in refused.stderr
    one = run("customers", "reassign", "--from", "11", "--to", "12", "--customer", "Beta")
    assert "moved 1 customer(s) from Wang to Chen" in one.stdout, one.stderr
    rest = run("customers", "reassign", "--from", "11", "--to", "12")
    assert "moved 1 customer(s) from Wang to Chen" in rest.stdout
    assert run("users", "deactivate", "--telegram-id", "11").stdout.strip() == (
        "Wang is deactivated")
    listing = run("users", "list").stdout.splitlines()
    assert "Chen  manager -  active  2 customer(s)" in listing[0]
    assert "Wang  manager -  deactivated  0 customer(s)" in listing[1]
    bad = run("users", "set-role", "--telegram-id", "12", "--role", "boss")
    assert bad.returncode == 2 and "role must be one of rep, manager, admin" in bad.stderr
    trail = run("audit", "--user", "12").stdout
    assert "the trail is intact" in trail


def test_import_a_gbk_spreadsheet_with_a_dry_run_first(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    run = in_process(f"sqlite:///{tmp_path / 'i.db'}")

    sheet = ("客户名称,联系电话,负责人,客户来源\r\n华东精密,138 0013 8000,Wang,wx1\r\n"
             "华东精密有限公司,,,\r\n")
    (tmp_path / "reps.csv").write_bytes(sheet.encode("gbk"))
    assert run("users", "add", "--telegram-id", "11", "--role", "rep",
               "--name", "Wang").returncode == 0
    preview = run("customers", "import", "reps.csv", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.splitlines() == [  # in Chinese: the default setting (issue 24, 7)
        "将新建客户 1 家", "  + row 2: 华东精密", "将合并到已有客户的行 1 行",
        "  = row 3 → 华东精密 (new, row 2), same company name",
        "未识别的列（已忽略）：客户来源", "试运行：没有做任何修改。"]
    english = run("customers", "import", "reps.csv", "--dry-run", "--lang", "en")
    assert english.stdout.splitlines()[0] == "1 new customer(s) would be created"
    done = run("customers", "import", "reps.csv")
    assert done.stdout.splitlines()[0] == "新建客户 1 家"
    assert done.stdout.rstrip().endswith("已导入。")
    with sqlite3.connect(tmp_path / "i.db") as conn:
        ((company, owner, phone),) = conn.execute(
            "SELECT c.name, u.name, k.phone FROM customers c JOIN users u ON u.id = c.owner_id "
            "JOIN contacts k ON k.customer_id = c.id").fetchall()
    assert (company, owner) == ("华东精密", "Wang")
    assert phone.startswith("enc:") and TEST_CIPHER.decrypt(phone) == "+8613800138000"
    (tmp_path / "bad.csv").write_text("客户名称,负责人\nX,Nobody\n", encoding="utf-8")
    bad = run("customers", "import", "bad.csv")
    assert bad.returncode == 1
    assert "bad.csv: row 2: owner 'Nobody' is not an active staff member's name" in bad.stderr
    assert "nothing was imported" in bad.stderr
    missing = run("customers", "import", "nope.xlsx")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_no_keys_no_start_unless_a_demo_and_keys_init_writes_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURITY_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'k.db'}"

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "interview_bot", *args],
                              env={**env, **extra}, capture_output=True, text=True,
                              cwd=tmp_path, timeout=60, check=False)

    refused = run("users", "list")
    assert refused.returncode == 2
    assert refused.stderr.startswith("refusing to start: personal data is encrypted at rest, "
                                     "and no keys are set: run `interview-bot keys init`")
    assert run("users", "list", SECURITY_DEMO="true").returncode == 0  # said explicitly
    assert run("validate").returncode == 0  # reading flow files needs no keys
    made = run("keys", "init")
    assert made.returncode == 0 and "Keep a copy somewhere safe" in made.stdout
    written = (tmp_path / ".env").read_text(encoding="utf-8")
    assert written.count("SECURITY_ENCRYPTION_KEYS=") == 1
    assert oct((tmp_path / ".env").stat().st_mode)[-3:] == "600"
    assert run("users", "list").returncode == 0  # .env is read from the working directory
    assert run("keys", "init", "--if-missing").returncode == 0
    assert (tmp_path / ".env").read_text(encoding="utf-8") == written  # not overwritten
    again = run("keys", "init")
    assert again.returncode == 2 and "keys are already set" in again.stderr
    rotated = run("keys", "rotate")
    assert rotated.returncode == 0 and "every value is now under the current key" in rotated.stdout


def test_personal_data_export_and_erasure_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    done = cli("chat", "--flow", "pre_meeting", "--lang", "en", "--customer", "Acme", "--new",
               "--db", db, stdin="\n".join(EN_ANSWERS) + "\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = cli_on(db, tmp_path)

    import json

    held = json.loads(run("customers", "export-personal", "Acme").stdout)
    assert held["customer"]["name"] == "Acme" and held["contacts"][0]["name"] == "Li Wei"
    refused = run("customers", "erase", "Acme")
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    erased = run("customers", "erase", "#1", "--yes", "--lang", "en")
    assert erased.returncode == 0, erased.stderr
    asked = len(answered(shipped()["pre_meeting"], scripts.PRE_MEETING))
    assert erased.stdout.startswith(f"Erased: {asked} answer(s),") and "1 contact(s)" in (
        erased.stdout)
    assert run("customers", "export-personal", "Acme").returncode == 2  # no such name now
    assert "erased #1" in run("customers", "export-personal", "#1").stdout
    assert "personal.export  customer#1" in run("audit", "--customer", "#1").stdout


def test_files_with_personal_data_are_private(tmp_path: Path) -> None:
    """Issue 17 (5): the database, exports and .env were created world-readable (0644)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "SECURITY_", "INTERVIEW_"))}
    old = os.umask(0o022)  # the usual umask: files 0644 unless the program says otherwise
    try:
        def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "interview_bot", *args], input=stdin,
                                  capture_output=True, text=True, cwd=tmp_path, env=env,
                                  timeout=60, check=False)

        assert run("keys", "init").returncode == 0
        done = run("chat", "--customer", "Private Ltd", "--new", "--lang", "en",
                   stdin="\n".join(EN_ANSWERS) + "\n")
        assert done.returncode == 0, done.stderr
        exported = run("export", "--reason", "backup")
        assert exported.returncode == 0, exported.stderr
        personal = run("customers", "export-personal", "Private Ltd", "--out", "p.json")
        assert personal.returncode == 0, personal.stderr
    finally:
        os.umask(old)
    (export,) = (tmp_path / "exports").iterdir()
    modes = {path.relative_to(tmp_path).as_posix(): stat.S_IMODE(path.stat().st_mode)
             for path in (tmp_path / ".env", tmp_path / "data", tmp_path / "data" /
                          "interviews.db", tmp_path / "exports", export, tmp_path / "p.json")}
    assert modes == {".env": 0o600, "data": 0o700, "data/interviews.db": 0o600,
                     "exports": 0o700, f"exports/{export.name}": 0o600, "p.json": 0o600}


async def test_invite_asks_telegram_for_the_bot_username(tmp_path: Path) -> None:
    """Issue 14: `invite` needed --bot-username although the token can ask (getMe)."""
    import asyncio

    from tests.local_bot_api import BOT_USERNAME, TOKEN, LocalBotApi

    api = LocalBotApi()
    await api.start()
    try:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")},
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_SERVER": api.base_url,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'i.db'}"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "interview_bot", "invite", "--customer", "Acme", "--new",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await api.stop()
    assert proc.returncode == 0, err.decode()
    assert re.fullmatch(rf"https://t\.me/{BOT_USERNAME}\?start=[A-Za-z0-9_-]{{43}}\n",
                        out.decode())


def test_one_company_identity_rule_for_import_and_chat(tmp_path: Path) -> None:
    """Issue 14: `chat --customer 上海示例阀门` made a second customer beside the imported
    上海示例阀门有限公司, while the import treated them as one."""
    run = cli_on(f"sqlite:///{tmp_path / 'i.db'}", tmp_path)
    (tmp_path / "list.csv").write_text("客户名称\n上海示例阀门有限公司\n", encoding="utf-8")
    assert run("customers", "import", "list.csv").returncode == 0
    for spelling in ("上海示例阀门", "上海 示例阀门 有限公司", "上海示例阀门（有限公司）"):
        chat = subprocess.run([sys.executable, "-m", "interview_bot", "chat", "--customer",
                               spelling, "--lang", "en", "--db",
                               f"sqlite:///{tmp_path / 'i.db'}"], input="", cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
        assert chat.returncode == 0, chat.stderr
    listed = run("customers", "list").stdout.splitlines()
    assert len(listed) == 2 and "上海示例阀门有限公司" in listed[1]  # a header, one customer
    found = run("customers", "show", "slfm", "--lang", "en")  # pinyin initials
    assert found.stdout.startswith("🗂 上海示例阀门有限公司 (#1)"), found.stderr


DEBRIEF = script(shipped()["post_call"], scripts.POST_CALL)


def test_a_terminal_debrief_says_what_it_scheduled_or_why_not(tmp_path: Path) -> None:
    """Issue 14: two high-priority terminal debriefs of an owner-less customer scheduled
    nothing and said nothing; `--rep` attributes the debrief, and its end lists the dates."""
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run = cli_on(db, tmp_path)
    alone = cli("chat", "--flow", "post_call", "--lang", "en", "--customer", "Solo Ltd", "--new",
                "--db", db, stdin="\n".join(DEBRIEF) + "\n", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert "No follow-up could be scheduled: nobody owns this customer yet." in alone.stdout
    assert "add --rep with your Telegram id" in alone.stdout
    assert run("users", "add", "--telegram-id", "55", "--name", "Wang",
               "--role", "rep").returncode == 0
    owned = cli("chat", "--flow", "post_call", "--lang", "en", "--customer", "Solo Ltd",
                "--rep", "55", "--db", db, stdin="\n".join(DEBRIEF) + "\n", cwd=tmp_path)
    assert owned.returncode == 0, owned.stderr
    scheduled = [line for line in owned.stdout.splitlines()
                 if line.startswith("Follow-up scheduled: ")]
    # high priority (in 3 days) and the agreed "in 3 days" fall on one day: one follow-up,
    # at 09:00 on the agreed day (issue 24, point 5)
    assert len(scheduled) == 1 and scheduled[0].endswith("09:00 (reminding Wang)")
    assert re.search(r"^Next revisit: \d{4}-\d\d-\d\d$", owned.stdout, re.M)
    pending = run("reminders", "list").stdout
    assert pending.count("follow_up") == 1


def test_cancel_then_the_same_command_offers_to_go_on(tmp_path: Path) -> None:
    """Issue 14: /cancel, then the same command, started at question 1 with no offer."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    args = ("chat", "--customer", "Again Ltd", "--new", "--lang", "en", "--db", db)
    stopped = cli(*args, stdin="1\n250\n/cancel\n", cwd=tmp_path)
    assert "Stopped. The answers you gave are kept." in stopped.stdout
    again = cli(*args, stdin="/continue\n", cwd=tmp_path)
    assert "You stopped this interview before, with 2 answered: type /continue" in again.stdout
    assert "[3/" in again.stdout and "How should we address you?" in again.stdout
    with sqlite3.connect(tmp_path / "c.db") as conn:
        statuses = conn.execute("SELECT id, status FROM interviews ORDER BY id").fetchall()
    assert statuses == [(1, "active"), (2, "cancelled")]  # the old one goes on


def test_staff_on_feishu_telegram_or_both(db_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process (typer's runner): five commands, without five interpreter starts."""
    from typer.testing import CliRunner

    from interview_bot.cli import app

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    open_id = "ou_7d8a6e6df7621556ce0d21922b676706"
    added = run("users", "add", "--feishu-open-id", open_id, "--role", "rep", "--name", "Wang")
    assert added == f"user 1: Wang (rep), feishu {open_id}"
    # the same person's Telegram, added later: still one user, now on both
    both = run("users", "add", "--telegram-id", "55", "--feishu-open-id", open_id,
               "--role", "manager", "--name", "Wang")
    assert both == f"user 1: Wang (manager), telegram id 55, feishu {open_id}"
    listed = run("users", "list").splitlines()
    assert len(listed) == 1 and " 55  manager" in listed[0] and listed[0].endswith(
        f"feishu {open_id}")
    assert run("users", "set-role", "--feishu-open-id", open_id, "--role", "rep") == \
        "Wang is now rep"
    [seen] = run("users", "feishu-seen").splitlines()
    assert seen.startswith(f"{open_id}  since ") and seen.endswith("user 1 Wang (rep)")
    # someone only on DingTalk: registered, changed and switched off by their user id
    staff_id = "0123456789"
    added = run("users", "add", "--dingtalk-user-id", staff_id, "--role", "rep", "--name", "Li")
    assert added == f"user 2: Li (rep), dingtalk {staff_id}"
    assert run("users", "set-role", "--dingtalk-user-id", staff_id, "--role", "manager") == \
        "Li is now manager"
    [seen] = run("users", "dingtalk-seen").splitlines()
    assert seen.startswith(f"{staff_id}  since ") and seen.endswith("user 2 Li (manager)")
    [li] = [line for line in run("users", "list").splitlines() if "  Li  " in line]
    assert li.endswith(f"dingtalk {staff_id}") and "  manager " in li
    assert run("users", "deactivate", "--dingtalk-user-id", staff_id) == "Li is deactivated"


def test_a_partial_name_finds_the_customer_and_a_new_one_needs_new(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    """Issue 24 (4): `chat --customer 华东精密` and `invite --customer 上海示例` created empty
    duplicates beside 华东精密机械有限公司 and 上海示例阀门有限公司."""
    run = in_process(f"sqlite:///{tmp_path / 'n.db'}")
    (tmp_path / "list.csv").write_text("客户名称\n华东精密机械有限公司\n上海示例阀门有限公司\n",
                                       encoding="utf-8")
    assert run("customers", "import", "list.csv").returncode == 0
    debrief = run("chat", "--flow", "post_call", "--customer", "华东精密", "--lang", "en",
                  stdin="1\n")
    assert debrief.returncode == 0, debrief.stderr
    invited = run("invite", "--customer", "上海示例", "--web")
    assert invited.returncode == 0, invited.stderr
    unknown = run("invite", "--customer", "北方重工", "--web")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == ("there is no customer '北方重工'. To start a new customer "
                                      "with this name, add --new")
    several = run("invite", "--customer", "有限公司", "--web")
    assert several.returncode == 2 and "上海示例阀门有限公司 (#2), 华东精密机械有限公司 (#1)" in (
        several.stderr) and "give --customer '#id'" in several.stderr
    listed = run("customers", "list").stdout
    assert "华东精密机械有限公司" in listed and "上海示例阀门有限公司" in listed
    assert "北方重工" not in listed and listed.count("\n") == 3  # header, no duplicate, no new
    made = run("invite", "--customer", "北方重工", "--web", "--new")
    assert made.returncode == 0 and "北方重工" in run("customers", "list").stdout
    again = run("invite", "--customer", "北方重工", "--web", "--new")  # no second record
    assert again.returncode == 0 and "exists already: using it" in again.stderr
    assert run("customers", "list").stdout.count("北方重工") == 1


def test_the_command_line_speaks_chinese_to_a_chinese_team(
        tmp_path: Path, in_process: Callable[[str], Cli]) -> None:
    """Issue 24 (7): `next revisit: …`, `note saved`, a list without headers showing
    "medium", raw tags on the card, `等级`, `预算` and `手机` refused by edit."""
    run = in_process(f"sqlite:///{tmp_path / 'zh.db'}")
    (tmp_path / "c.csv").write_text("客户名称,优先级,决策角色,联系人\n华东精密,中,老板,钱经理\n"
                                    "上海示例,低,技术,李工\n", encoding="utf-8")
    assert run("customers", "import", "c.csv").returncode == 0
    listed = run("customers", "list").stdout.splitlines()
    assert listed[0].split("\t") == ["编号", "名称", "等级", "优先级", "负责人", "最近联系"]
    assert listed[1].split("\t")[:4] == ["#1", "华东精密", "—", "中优先级"]
    assert run("customers", "note", "华东精密", "下周三给预算").stdout.strip() == (
        "备注已保存到 华东精密。")
    graded = run("customers", "edit", "华东精密", "等级", "A")
    assert graded.returncode == 0, graded.stderr
    first, second = graded.stdout.splitlines()
    assert first.startswith("华东精密: 客户等级 = A") and second.startswith("下次回访：")
    for field, value in (("预算", "50万"), ("手机", "139 1234 5678"), ("电话", "139 1234 5678"),
                         ("邮箱", "qian@hd.cn")):
        edited = run("customers", "edit", "华东精密", field, value)
        assert edited.returncode == 0, (field, edited.stderr)
    unknown = run("customers", "edit", "华东精密", "颜色", "红")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "“颜色”不是信息卡的字段；可用：" in unknown.stderr and "name" not in unknown.stderr
    card = run("customers", "show", "华东精密").stdout
    assert "priority:" not in card and "needs:" not in card
    with sqlite3.connect(tmp_path / "zh.db") as conn:
        roles = [r for (r,) in conn.execute(
            "SELECT decision_role FROM contacts ORDER BY id")]
    assert roles == ["decision_maker", "influencer"]  # 老板, 技术: not "other"
    (tmp_path / "odd.csv").write_text("客户名称,决策角色\n北方重工,吉祥物\n", encoding="utf-8")
    odd = run("customers", "import", "odd.csv", "--lang", "en")
    assert odd.returncode == 1 and "decision role '吉祥物' is not one the card knows" in odd.stderr
