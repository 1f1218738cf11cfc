"""Importing the spreadsheets reps keep today into the central record (seed 004).

CSV (UTF-8 with or without a byte-order mark, UTF-16, GBK/GB18030; comma, tab or
semicolon) or XLSX (the first sheet). Columns are matched to the information card by
their Chinese or English headers. Each row is checked; duplicates are found by credit
code, by normalised company name, by phone and by email, in the file and in the database, and
merged: empty card fields are filled, filled ones are kept (and the difference is
reported). All or nothing: one bad row and nothing is imported, every problem listed.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flows.card_fields import CARD_RANGES, CLOSED_VALUES, FIELD_NAMES, name_key
from flows.values import BIDI_CONTROLS, parse_date, parse_email, parse_number, parse_phone

# header (normalised) -> card field (flows.card_fields names them all); "owner" names
# the rep who owns the customer
HEADERS: dict[str, str] = {**FIELD_NAMES, **{name_key(n): "owner" for n in (
    "负责人", "销售", "业务员", "owner", "rep")}}
_key = name_key

_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# how spreadsheets name a contact's part in the decision; what is not here is reported
_ROLE_WORDS = {
    "decision_maker": ["决策人", "决策者", "拍板人", "老板", "老总", "总经理", "董事长", "总裁",
                       "一把手", "ceo", "gm", "boss", "decision maker", "decisionmaker"],
    "influencer": ["影响者", "影响人", "技术", "技术负责人", "技术总监", "工程师", "采购",
                   "采购经理", "财务", "顾问", "cto", "cio", "it", "engineer", "purchasing",
                   "procurement", "finance", "influencer"],
    "user": ["使用者", "使用人", "用户", "最终用户", "操作员", "员工", "user", "end user"],
    "other": ["其他", "其它", "other"],
}
_ROLES = {word: role for role, words in _ROLE_WORDS.items() for word in words}
_PRIORITIES = {"高": "high", "中": "medium", "低": "low"}
MAX_ROWS = 50_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, no name column)."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it (the header is row 1)
    values: dict[str, Any]
    owner: str | None = None


@dataclass
class Problem:
    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


SHOWN = 500  # lines of each kind kept for the summary; the rest are counted


@dataclass
class Outcome:
    """What an import did or would do. Each kind of line is counted in full and kept up
    to SHOWN (a 50,000-row file must not hold 50,000 lines in memory)."""

    created: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # "row 5 → Acme (#3), via phone"
    others: list[str] = field(default_factory=list)  # rows matching another rep's customer
    kept: list[str] = field(default_factory=list)  # differences: the existing value stays
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)  # interrupted imports taken back first
    counts: dict[str, int] = field(default_factory=dict)
    applied: bool = False

    def note(self, kind: str, line: Any) -> None:
        """Add a line of `kind` (created, merged, others, kept, problems)."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        lines = getattr(self, kind)
        if len(lines) < SHOWN:
            lines.append(line)

    def count(self, kind: str) -> int:
        return self.counts.get(kind, len(getattr(self, kind)))


# ------------------------------------------------------------------ reading
SNIFF_BYTES = 64 * 1024


def read_table(path: Path) -> list[list[str]]:
    """The whole table (small files, tests); imports stream with `stream_table`."""
    return list(stream_table(path))


def stream_table(path: Path) -> Iterator[list[str]]:
    """The rows of a CSV or XLSX file, one at a time: memory does not grow with the file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if path.suffix.lower() == ".xls":
        raise ImportFileError("old .xls files are not supported; save it as .xlsx or CSV")
    return _csv_rows(path)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(f"not a readable XLSX file ({exc.__class__.__name__})") from None

    def rows() -> Iterator[list[str]]:
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield [_cell(v) for v in row]
        finally:
            book.close()
    return rows()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number Excel stored as a number
    return str(value)


def encoding_of(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK),
    judged from the start of the file."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    whole = len(head) < SNIFF_BYTES  # else the last character may be cut in two
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=whole)
        return "gb18030"
    except UnicodeDecodeError:
        raise ImportFileError("the file is neither UTF-8 nor GBK/GB18030 text; save it as "
                              "CSV UTF-8 or as XLSX") from None


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
    encoding = encoding_of(head)
    sample = head.decode(encoding, errors="ignore")
    try:
        dialect: Any = csv.Sniffer().sniff(sample[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel

    def rows() -> Iterator[list[str]]:
        # newline="": line ends of every kind (CRLF, LF, and the old Mac's CR alone)
        with path.open(encoding=encoding, newline="") as text:
            try:
                yield from csv.reader(text, dialect)
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"the file is not {encoding} text throughout "
                                      f"({exc.reason}); save it as CSV UTF-8 or as "
                                      "XLSX") from None
    return rows()


# ------------------------------------------------------------------ checking
def parse_rows(table: Iterable[list[str]], today: date) -> tuple[list[Row], Outcome]:
    """Every row of a table at once (tests and small files)."""
    outcome = Outcome()
    rows = list(checked_rows(table, today, outcome))
    return rows, outcome


def checked_rows(table: Iterable[list[str]], today: date, outcome: Outcome) -> Iterator[Row]:
    """The rows below the header, each checked; problems go to `outcome.problems`, as do
    the columns not recognised. Raises ImportFileError for the file as a whole."""
    lines = enumerate(table, start=1)  # numbered as the spreadsheet shows them
    for _number, header in lines:
        if any(c.strip() for c in header):
            break
    else:
        raise ImportFileError("the file is empty")
    columns: dict[int, str] = {}
    for index, name in enumerate(header):
        target = HEADERS.get(_key(name))
        if target is None or target in columns.values():
            if name.strip():
                outcome.ignored_columns.append(name.strip())
            continue
        columns[index] = target
    if "customer.name" not in columns.values():
        raise ImportFileError("no company-name column; expected a header such as 公司名称, "
                              "客户名称 or Company")
    counted = 0
    for number, cells in lines:
        if not any(c.strip() for c in cells):
            continue
        counted += 1
        if counted > MAX_ROWS:
            raise ImportFileError(f"more than {MAX_ROWS} rows; import at most {MAX_ROWS} at a "
                                  "time (split the file)")
        raw = {columns[i]: cells[i].strip() for i in columns if i < len(cells) and cells[i].strip()}
        row = Row(number, {}, raw.pop("owner", None))
        for name, text in raw.items():
            try:
                row.values[name] = _value(name, text, today)
            except ValueError as exc:
                outcome.note("problems", Problem(number, str(exc)))
        if not row.values.get("customer.name"):
            outcome.note("problems", Problem(number, "the company name is empty"))
        yield row


def _value(name: str, text: str, today: date) -> Any:
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if name == "customer.credit_code":
        code = unicodedata.normalize("NFKC", text).upper().replace(" ", "")
        if not _CREDIT_CODE.match(code):
            raise ValueError(f"credit code {text!r} is not 18 characters of the national "
                             "format (digits and capital letters, no I, O, S, V, Z)")
        return code
    if name == "contact.phone":
        phone = parse_phone(text)
        if phone is None:
            raise ValueError(f"phone {text!r} is not a phone number (e.g. 138 0013 8000 or "
                             "+86 21 5555 0000)")
        return phone
    if name == "contact.email":
        email = parse_email(text)
        if email is None:
            raise ValueError(f"email {text!r} is not an address such as li@example.com")
        return email
    if name == "customer.employees":
        try:
            count = int(parse_number(re.sub(r"[人名]$", "", text)))
        except (ValueError, ArithmeticError):
            raise ValueError(f"employees {text!r} is not a whole number") from None
        low, high = CARD_RANGES[name]
        if not low <= count <= high:
            raise ValueError(f"employees {text!r} is outside {low:,} to {high:,}")
        return count
    if name == "contact.birthday":
        day = parse_date(text, today)
        if day is None:
            raise ValueError(f"birthday {text!r} is not a date such as 1980-05-17")
        return day
    if name == "customer.grade":
        grade = unicodedata.normalize("NFKC", text).upper().rstrip("级类")
        if grade not in CLOSED_VALUES["customer.grade"]:
            raise ValueError(f"grade {text!r} is not one of A, B, C, D, E")
        return grade
    if name == "customer.priority":
        value = _PRIORITIES.get(text, text.lower())
        if value not in CLOSED_VALUES["customer.priority"]:
            raise ValueError(f"priority {text!r} is not high/medium/low (高/中/低)")
        return value
    if name == "contact.decision_role":
        return _role(text)
    return text


def _role(text: str) -> str:
    word = unicodedata.normalize("NFKC", text).casefold().strip()
    value = _ROLES.get(word, word.replace(" ", "_"))
    if value not in CLOSED_VALUES["contact.decision_role"]:
        raise ValueError(f"decision role {text!r} is not one the card knows: write 决策人 "
                         "(老板, 总经理…), 影响者 (技术, 采购…), 使用者 or 其他")
    return value


_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{BIDI_CONTROLS}]")
