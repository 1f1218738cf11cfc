"""Importing reps' spreadsheets: encodings, Excel, header mapping, duplicates, all or none."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from services import import_writing, importing
from storage import accounts, customers, import_journal
from storage.models import AuditEntry, Contact, Customer, ImportRun
from tests.conftest import FakeClock
from tests.storage.helpers import Harness, harness

TODAY = date(2026, 11, 23)
HEADER = ["公司名称", "统一社会信用代码", "行业", "员工人数", "联系人", "职务", "手机",
          "邮箱", "决策角色", "预算", "优先级", "客户等级", "备注（内部）"]
ROWS = [
    ["上海示例科技", "", "制造", "120人", "李伟", "CTO", "138 0013 8000", "li@example.com",
     "决策人", "50万", "高", "B", "老客户"],
    ["北京新客户有限公司", "91110000MA01ABCD1X", "零售", "", "王芳", "", "13900139000", "",
     "影响者", "", "中", "", ""],
    ["Beijing New Customer", "91110000MA01ABCD1X", "", "", "", "", "", "", "", "", "", "",
     ""],  # the same company by credit code, in English
    ["广州某公司", "", "", "", "张三", "", "020-8888 1234", "", "", "", "低", "", ""],
]


def table(rows: list[list[str]] | None = None) -> list[list[str]]:
    return [HEADER, *(rows if rows is not None else ROWS)]


def test_each_encoding_and_excel_read_to_the_same_table(tmp_path: Path) -> None:
    lines = "\r\n".join(",".join(r) for r in table()) + "\r\n"
    files = {"gbk.csv": lines.encode("gbk"), "bom.csv": lines.encode("utf-8-sig"),
             "plain.csv": lines.encode("utf-8"),
             "utf16.txt": "\r\n".join("\t".join(r) for r in table()).encode("utf-16")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table():
        sheet.append([13800138000 if c == "13900139000" else c for c in row])  # a number cell
    book.save(tmp_path / "book.xlsx")
    expected = table()
    for name in [*files, "book.xlsx"]:
        read = importing.read_table(tmp_path / name)
        assert read == expected or (name == "book.xlsx" and read[2][6] == "13800138000"), name
    (tmp_path / "latin1.csv").write_bytes("公司".encode("utf-16-le")[:3] + b"\xff\xfe\x00")
    with pytest.raises(importing.ImportFileError, match="neither UTF-8 nor GBK"):
        importing.read_table(tmp_path / "latin1.csv")


def test_rows_are_checked_and_every_problem_is_reported() -> None:
    bad = [["好公司", "12345", "", "许多", "", "", "12ab", "li@", "", "", "紧急", "F", ""],
           ["", "", "", "", "李", "", "", "", "", "", "", "", ""]]
    _rows, outcome = importing.parse_rows(table(bad), TODAY)
    messages = [str(p) for p in outcome.problems]
    assert messages == [
        "row 2: credit code '12345' is not 18 characters of the national format (digits and "
        "capital letters, no I, O, S, V, Z)",
        "row 2: employees '许多' is not a whole number",
        "row 2: phone '12ab' is not a phone number (e.g. 138 0013 8000 or +86 21 5555 0000)",
        "row 2: email 'li@' is not an address such as li@example.com",
        "row 2: priority '紧急' is not high/medium/low (高/中/低)",
        "row 2: grade 'F' is not one of A, B, C, D, E",
        "row 3: the company name is empty"]
    with pytest.raises(importing.ImportFileError, match="no company-name column"):
        importing.parse_rows([["电话"], ["138"]], TODAY)


async def import_table(h: Harness, rows: list[list[str]], *, dry_run: bool = False,
                       progress: import_writing.Progress | None = None) -> importing.Outcome:
    return await import_writing.import_table(
        h.sessions, lambda: table(rows), source="reps.csv", today=TODAY, owner=None,
        actor="cli", channel="cli", now=h.clock(), dry_run=dry_run, sqlite=False,
        progress=progress, clock=h.clock)


def test_cr_only_line_ends_are_read(tmp_path: Path) -> None:
    """Issue 17 (2): a CSV saved with the old Mac line ends (CR alone)."""
    (tmp_path / "mac.csv").write_bytes(
        ("\r".join(",".join(r) for r in table()) + "\r").encode("gbk"))
    assert importing.read_table(tmp_path / "mac.csv") == table()


def test_company_names_match_without_their_legal_suffix() -> None:
    assert customers.name_key("上海示例科技有限公司") == customers.name_key("上海 示例科技")
    assert customers.name_key("ACME Co., Ltd.") == customers.name_key("acme")
    assert customers.name_key("有限公司") == "有限公司"  # nothing left: keep it whole


async def test_import_merges_duplicates_and_is_all_or_nothing(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            rep = await accounts.add_user(s, telegram_id=1, name="Wang", role="rep",
                                          now=clock())
            known = await customers.create(s, "上海示例科技有限公司", clock(), owner_id=rep.id)
            known.industry = "manufacturing"
            person = await customers.new_contact(s, known.id, clock())
            person.name, person.phone = "Zhang", "+862088881234"  # 广州某公司's phone, here

        async def run(rows: list[list[str]], dry_run: bool = False) -> importing.Outcome:
            return await import_table(h, rows, dry_run=dry_run)

        async def count() -> int:
            async with h.sessions() as s:
                return int(await s.scalar(select(func.count()).select_from(Customer)) or 0)

        failed = await run([*ROWS, ["坏行公司", "", "", "", "", "", "999", "", "", "", "",
                                     "", ""]])
        assert [str(p) for p in failed.problems] == [
            "row 6: phone '999' is not a phone number (e.g. 138 0013 8000 or +86 21 5555 0000)"]
        assert await count() == 1  # nothing half-imported
        preview = await run(ROWS, dry_run=True)
        assert await count() == 1 and len(preview.created) == 1
        done = await run(ROWS)
        assert done.created == ["row 3: 北京新客户有限公司"]
        assert [re.sub(r" \(#\d+\)", "", m) for m in done.merged] == [
            "row 2 → 上海示例科技有限公司, same company name",
            "row 4 → 北京新客户有限公司 (new, row 3), same credit code",
            "row 5 → 上海示例科技有限公司, same phone"]
        assert done.kept == [  # what is on record stays; the differences are listed
            "row 2: 上海示例科技有限公司 keeps Industry 'manufacturing' (the file says '制造')",
            "row 5: 上海示例科技有限公司 keeps Priority 'high' (the file says 'low')",
            "row 5: contact Zhang keeps name 'Zhang' (the file says '张三')"]
        assert done.ignored_columns == []
        async with h.sessions() as s:
            acme = await s.get(Customer, known.id)
            assert acme is not None
            assert (acme.employees, acme.priority, acme.grade, acme.budget) == (
                120, "high", "B", "50万")
            contacts = {c.name: c for c in (await s.scalars(
                select(Contact).where(Contact.customer_id == known.id))).all()}
            assert contacts["李伟"].phone == "+8613800138000"
            assert contacts["李伟"].decision_role == "decision_maker"
            assert contacts["李伟"].notes == "老客户"
            assert set(contacts) == {"Zhang", "李伟"}  # row 5's 张三 matched Zhang's phone
        by_email = await run([["Li's new company", "", "", "", "", "", "", "LI@example.com",
                               "", "", "", "", ""]])
        assert [re.sub(r" \(#\d+\)", "", m) for m in by_email.merged] == [
            "row 2 → 上海示例科技有限公司, same email"]  # found through its blind index
        again = await run(ROWS)
        assert again.created == [] and len(again.merged) == 4  # importing twice adds nothing
        assert await count() == 2


async def test_an_import_that_fails_midway_is_undone(
        db_url: str, shipped_flows: dict, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17 (4): written in short transactions, yet all or nothing: a failure after the
    first chunk takes back the customers it made and the empty fields it filled."""
    monkeypatch.setattr(import_writing, "CHUNK_ROWS", 2)
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            known = await customers.create(s, "上海示例科技有限公司", clock())

        def stop_after_first_chunk(done: int, total: int) -> None:
            assert done < total
            raise KeyboardInterrupt  # Ctrl-C between two chunks

        with pytest.raises(KeyboardInterrupt):
            await import_table(h, ROWS, progress=stop_after_first_chunk)
        async with h.sessions() as s:
            assert (await s.scalars(select(Customer.name))).all() == ["上海示例科技有限公司"]
            acme = await s.get(Customer, known.id)
            assert acme is not None and (acme.employees, acme.budget, acme.grade) == (
                None, None, None)  # filled by row 2, taken back
            assert await s.scalar(select(func.count()).select_from(Contact)) == 0
            assert (await s.scalars(select(ImportRun.status))).all() == ["undone"]


async def test_an_import_killed_midway_is_undone_by_the_next_one(
        db_url: str, shipped_flows: dict, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGKILL leaves no chance to undo: the next import finds the run silent for longer
    than STALE, undoes it, says so, then imports."""
    monkeypatch.setattr(import_writing, "CHUNK_ROWS", 2)
    async with harness(db_url, shipped_flows, clock) as h:
        async def killed(*_args: object) -> None:
            return None  # the process is gone: nothing runs after the kill

        def kill_after_first_chunk(done: int, total: int) -> None:
            raise SystemExit(137)

        with monkeypatch.context() as patch:
            patch.setattr(import_journal, "undo", killed)
            with pytest.raises(SystemExit):
                await import_table(h, ROWS, progress=kill_after_first_chunk)
        async with h.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(Customer)) == 2  # half
        clock.advance(minutes=1)  # still "running" (it could be alive): left alone
        assert (await import_table(h, [], dry_run=True)).undone == []
        clock.advance(minutes=5)
        again = await import_table(h, ROWS)
        assert again.undone and "import #1 of reps.csv" in again.undone[0]
        assert again.applied and len(again.created) == 3
        async with h.sessions() as s:
            names = set((await s.scalars(select(Customer.name))).all())
            assert names == {"上海示例科技", "北京新客户有限公司", "广州某公司"}
            assert await s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "customer.import")) == 2 + 3


async def test_a_grade_filled_by_an_import_replans_the_revisit(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    """Issue 14: grade A came in through an import and the customer stayed on the
    90-day revisit it had without a grade."""
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            rep = await accounts.add_user(s, telegram_id=1, name="Wang", role="rep",
                                          now=clock())
            known = await customers.create(s, "上海示例科技有限公司", clock(), owner_id=rep.id)
            await h.planner.set_revisit(s, known, clock())
            before = known.revisit_due_on
        graded = [["上海示例科技", "", "", "", "", "", "", "", "", "", "", "A", ""]]
        await import_writing.import_table(
            h.sessions, lambda: table(graded), source="g.csv", today=TODAY, owner=None,
            actor="cli", channel="cli", now=clock(), dry_run=False, sqlite=False,
            clock=h.clock, planner=h.planner)
        async with h.sessions() as s:
            after = await s.get(Customer, known.id)
            assert after is not None and after.grade == "A"
            assert before is not None and after.revisit_due_on == before - timedelta(days=60)
