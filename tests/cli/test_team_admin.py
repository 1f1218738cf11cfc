"""Issue 24 (8): a team of 50 onboarded from a sheet, customers nobody owns given an owner,
and a dashboard link for someone on any channel. In-process (typer's runner), both
databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interview_bot.cli import app

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


OPEN_ID = "ou_7d8a6e6df7621556ce0d21922b676706"


def test_a_team_from_a_sheet_all_or_nothing(run: Run, tmp_path: Path) -> None:
    rows = ["姓名,角色,Telegram,飞书 open id,主管", f"赵经理,主管,8001,{OPEN_ID},"]
    rows += [f"销售{n},销售,{7000 + n},,赵经理" for n in range(1, 49)]
    rows += ["李管理,管理员,9001,,"]
    (tmp_path / "team.csv").write_bytes("\r\n".join(rows).encode("gbk"))
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,角色,Telegram\n王芳,老板,7100\n陈,销售,abc\n刘,销售,\n",
                   encoding="utf-8")
    code, _, err = run("users", "import", str(bad))
    assert code == 1
    assert "row 2: role '老板' is not 销售/rep, 主管/manager or 管理员/admin" in err
    assert "row 3: Telegram id 'abc' is not a number" in err
    assert "row 4: 刘 has neither a Telegram id nor a Feishu open id" in err
    assert run("users", "list")[1].strip() == ""  # nobody was added
    code, out, _ = run("users", "import", str(tmp_path / "team.csv"), "--dry-run")
    assert code == 0 and out.rstrip().endswith("dry run: nothing was changed")
    assert run("users", "list")[1].strip() == ""
    code, out, err = run("users", "import", str(tmp_path / "team.csv"))
    assert code == 0, err
    assert out.rstrip().endswith("50 staff imported")
    listed = run("users", "list")[1].splitlines()
    assert len(listed) == 50
    boss = next(line.split()[0] for line in listed if "赵经理" in line)
    assert sum("销售" in line and f"  manager {boss}  " in line for line in listed) == 48
    code, out, err = run("web", "link", "--feishu-open-id", OPEN_ID)
    assert code == 0 and "/login?token=" in out, err
    code, _, err = run("web", "link", "--feishu-open-id", "ou_ffffffffffffffffffffffff")
    assert code == 2 and "nobody active on the team is ou_ffff" in err


def test_customers_nobody_owns_are_assigned(run: Run, tmp_path: Path) -> None:
    assert run("users", "add", "--telegram-id", "7001", "--role", "rep", "--name", "王芳")[0] == 0
    (tmp_path / "c.csv").write_text("客户名称\n华东精密机械有限公司\n北方重工\n", encoding="utf-8")
    assert run("customers", "import", "c.csv")[0] == 0
    code, out, err = run("customers", "assign", "华东精密", "北方重工", "--to", "7001",
                         "--lang", "en")
    assert code == 0, err
    assert out.strip() == "王芳 now owns: 华东精密机械有限公司 (#1), 北方重工 (#2)"
    code, _, err = run("customers", "assign", "北方重工", "--to", "7001")
    assert code == 2 and "has an owner already: move it with `customers reassign`" in err
    listed = run("customers", "list")[1].splitlines()
    assert all("\t王芳\t" in line for line in listed[1:])


def test_a_rep_cannot_be_someones_manager(run: Run) -> None:
    """Issue 26: `users add --manager-id` took a rep as someone's manager without a word."""
    assert run("users", "add", "--telegram-id", "7001", "--role", "rep", "--name", "王芳")[0] == 0
    code, _, err = run("users", "add", "--telegram-id", "7002", "--role", "rep",
                       "--name", "陈", "--manager-id", "1")
    assert code == 2
    assert err.strip() == ("王芳 (#1) is a rep, not a manager: make them one first "
                           "(`users set-role … --role manager`)")
    code, _, err = run("users", "set-role", "--telegram-id", "7001", "--role", "rep",
                       "--manager-id", "99")
    assert code == 2 and "there is no active user #99 to be the manager" in err
