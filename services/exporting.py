"""Taking the data to Excel: interviews (one row each, a column per question), the
customers' information cards and their contacts, as XLSX, CSV or JSON.

- XLSX: a sheet per flow, then "customers" and "contacts"; dates are Excel dates.
- CSV: a ZIP of one CSV per sheet, UTF-8 with a byte-order mark and CRLF, which Excel
  opens with Chinese text intact. Text that Excel would run as a formula gets a leading
  apostrophe.
- JSON: everything, with ids as well as labels, for other tools.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.card_fields import field_label, stage_label
from flows.i18n import pick
from flows.model import Flow
from flows.piping import fill
from flows.quality import STAGES, spin_coverage
from flows.tag_labels import tag_label
from services.reports import card_quality, shown_answer
from storage import reporting
from storage.card import CARD_COLUMNS
from storage.models import Contact, Customer, Note
from storage.reporting import Owners

Format = Literal["xlsx", "csv", "json"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv", "json")
MIN_REASON, MAX_REASON = 2, 500  # characters: "QBR", "季度复盘"


def export_reason(raw: str | None) -> tuple[str, str | None]:
    """The reason for copying data out (seed 001), tidied, and what is wrong with it:
    None, "missing" or "too_short" — the rule every door applies."""
    reason = " ".join((raw or "").split())[:MAX_REASON]
    if not reason:
        return reason, "missing"
    return reason, "too_short" if len(reason) < MIN_REASON else None
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "application/zip", "json": "application/json"}
Cell = str | int | float | date | datetime | None

HEADERS = {
    "id": {"zh": "编号", "en": "ID"}, "customer": {"zh": "客户", "en": "Customer"},
    "customer_id": {"zh": "客户编号", "en": "Customer ID"},
    "respondent": {"zh": "回答人", "en": "Answered by"},
    "status": {"zh": "状态", "en": "Status"}, "language": {"zh": "语言", "en": "Language"},
    "started": {"zh": "开始时间", "en": "Started"},
    "completed": {"zh": "完成时间", "en": "Completed"},
    "coverage": {"zh": "SPIN 覆盖", "en": "SPIN coverage"},
    "owner": {"zh": "负责人", "en": "Owner"}, "tags": {"zh": "标签", "en": "Tags"},
    "last_contact": {"zh": "最近联系", "en": "Last contact"},
    "revisit_due": {"zh": "应回访日", "en": "Revisit due"},
    "complete": {"zh": "完整度 %", "en": "Complete %"},
    "missing": {"zh": "缺少字段", "en": "Missing fields"},
    "conflicts": {"zh": "待核实不一致", "en": "Open conflicts"},
    "notes": {"zh": "备注", "en": "Notes"},
    "the_customer": {"zh": "客户本人", "en": "the customer"},
    "customers_sheet": {"zh": "客户", "en": "customers"},
    "contacts_sheet": {"zh": "联系人", "en": "contacts"},
    "active": {"zh": "进行中", "en": "in progress"},
    "completed_status": {"zh": "已完成", "en": "completed"},
}


def _h(key: str, lang: str) -> str:
    return HEADERS[key].get(lang) or HEADERS[key]["en"]


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: list[str]
    rows: list[list[Cell]]
    records: list[dict[str, Any]]  # the same rows for JSON, with ids as well as labels


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    media_type: str
    interviews: int
    customers: int
    contacts: int


def header_text(flow: Flow, question_id: str, lang: str,
                given: Mapping[str, str] | None = None) -> str:
    """A question's text as a column header: an answer piped into it ("{contact_name}，
    您的职位是什么？") is shown as what it stands for (［联系人］，您的职位是什么？), or, for
    one interview, as what was answered (`given`: question id -> the answer in words)."""
    def stands_for(name: str) -> str:
        if given and given.get(name):
            return given[name]
        try:
            piped = flow.question(name)
        except KeyError:
            return "…"
        return f"［{field_label(piped.maps_to, lang)}］" if piped.maps_to else "…"
    return fill(pick(flow.question(question_id).text, lang), stands_for)


async def build_export(session: AsyncSession, flows: dict[str, Flow], owners: Owners, *,
                       fmt: Format, lang: str, now: datetime, timezone: str,
                       flow_id: str | None = None, since: datetime | None = None) -> ExportFile:
    zone = ZoneInfo(timezone)
    interview_sheets = await _interview_sheets(session, flows, owners, lang, zone, flow_id,
                                               since)
    customers, contacts = await _card_sheets(session, flows, owners, lang, zone)
    sheets = [*interview_sheets, customers, contacts]
    stamp = now.astimezone(zone).strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        content, extension = _xlsx(sheets), "xlsx"
    elif fmt == "csv":
        content, extension = _csv_zip(sheets), "zip"
    else:
        content, extension = _json(sheets, now, lang), "json"
    return ExportFile(f"interviews-{stamp}.{extension}", content, MEDIA_TYPES[fmt],
                      sum(len(s.rows) for s in interview_sheets), len(customers.rows),
                      len(contacts.rows))


async def _interview_sheets(session: AsyncSession, flows: dict[str, Flow], owners: Owners,
                            lang: str, zone: ZoneInfo, flow_id: str | None,
                            since: datetime | None) -> list[Sheet]:
    rows = await reporting.interviews(session, owners, flow_id=flow_id, since=since)
    by_flow: dict[str, list[reporting.InterviewRow]] = {}
    for row in rows:
        by_flow.setdefault(row.interview.flow_id, []).append(row)
    sheets = []
    used: set[str] = set()
    order = {f: i for i, f in enumerate(flows)}  # as the flow files list them
    for fid in sorted(by_flow, key=lambda f: (order.get(f, len(order)), f)):
        flow = flows.get(fid)
        questions = [q.id for q in flow.questions] if flow else []
        extra = sorted({q for r in by_flow[fid] for q in r.answers} - set(questions))
        columns = questions + extra  # answers to questions since removed come last
        texts = {q.id: header_text(flow, q.id, lang) for q in flow.questions} if flow else {}
        headers = [_h(k, lang) for k in ("id", "customer", "customer_id", "respondent",
                                         "status", "language", "started", "completed",
                                         "coverage")]
        headers += [f"{texts[q]} [{q}]" if q in texts else q for q in columns]
        table: list[list[Cell]] = []
        records: list[dict[str, Any]] = []
        for row in by_flow[fid]:
            interview = row.interview
            respondent = row.respondent.name if row.respondent else _h("the_customer", lang)
            coverage = spin_coverage((a.stage, a.value) for a in row.answers.values())
            shown = {q: shown_answer(flows, fid, a, lang) for q, a in row.answers.items()}
            status = _h("completed_status" if interview.status == "completed" else "active",
                        lang)
            table.append([
                interview.id, row.customer.name, row.customer.id, respondent, status,
                interview.language, _local(interview.started_at, zone),
                _local(interview.completed_at, zone),
                " ".join(stage_label(s, lang) for s in coverage.covered),
                *(shown.get(q) for q in columns)])
            records.append({
                "id": interview.id, "flow": fid, "customer_id": row.customer.id,
                "customer": row.customer.name, "respondent": respondent,
                "status": interview.status, "language": interview.language,
                "started_at": interview.started_at, "completed_at": interview.completed_at,
                "spin_coverage": list(coverage.covered),
                "answers": {q: {"value": a.value, "other": a.other_text, "shown": shown[q],
                                "stage": a.stage, "answered_at": a.answered_at}
                            for q, a in row.answers.items()}})
        name = _sheet_name(pick(flow.title, lang) if flow else fid, used)
        sheets.append(Sheet(name, headers, table, records))
    return sheets


CUSTOMER_FIELDS = [f for f, (record, _) in CARD_COLUMNS.items() if record == "customer"]
CONTACT_COLUMNS = ["name", "title", "department", "phone", "email", "messenger_id",
                   "decision_role", "birthday"]


async def _card_sheets(session: AsyncSession, flows: dict[str, Flow], owners: Owners,
                       lang: str, zone: ZoneInfo) -> tuple[Sheet, Sheet]:
    customers = await reporting.customers_in_scope(session, owners)
    contacts = await reporting.contacts_of_customers(session, [c.id for c in customers])
    quality = await card_quality(session, flows, customers, lang)
    users = await reporting.users_by_id(session, {c.owner_id for c in customers})
    labels = choice_labels(flows, lang)
    headers = [_h("id", lang), *(field_label(f, lang) for f in CUSTOMER_FIELDS),
               _h("owner", lang), _h("tags", lang), _h("last_contact", lang),
               _h("revisit_due", lang), _h("complete", lang), _h("missing", lang),
               _h("conflicts", lang), _h("notes", lang)]
    notes: dict[int, list[str]] = {}
    for note in await session.scalars(select(Note).where(
            Note.customer_id.in_([c.id for c in customers])).order_by(Note.id)):
        notes.setdefault(note.customer_id, []).append(
            f"{_local(note.created_at, zone):%Y-%m-%d} {note.text}")
    rows: list[list[Cell]] = []
    records: list[dict[str, Any]] = []
    for customer in customers:
        q = quality[customer.id]
        owner = users.get(customer.owner_id or 0)
        values = {f: getattr(customer, CARD_COLUMNS[f][1]) for f in CUSTOMER_FIELDS}
        rows.append([customer.id, *(label_of(labels, f, values[f]) for f in CUSTOMER_FIELDS),
                     owner.name if owner else None,
                     ", ".join(tag_label(t, lang) for t in customer.tags) or None,
                     _local(customer.last_contact_at, zone), customer.revisit_due_on,
                     q.completeness.percent,
                     ", ".join(field_label(f, lang) for f in q.completeness.missing) or None,
                     len(q.conflicts), "\n".join(notes.get(customer.id, [])) or None])
        records.append({"id": customer.id, **values, "owner": owner.name if owner else None,
                        "owner_id": customer.owner_id, "tags": customer.tags,
                        "last_contact_at": customer.last_contact_at,
                        "revisit_due_on": customer.revisit_due_on,
                        "notes": notes.get(customer.id, []),
                        "completeness": q.completeness.percent,
                        "missing": list(q.completeness.missing),
                        "conflicts": [{"field": c.field, "customer": c.customer.value,
                                       "customer_at": c.customer.at, "rep": c.rep.value,
                                       "rep_at": c.rep.at} for c in q.conflicts]})
    return (Sheet(_h("customers_sheet", lang), headers, rows, records),
            _contact_sheet(customers, contacts, labels, lang))


def _contact_sheet(customers: list[Customer], contacts: dict[int, list[Contact]],
                   labels: dict[str, dict[str, str]], lang: str) -> Sheet:
    headers = [_h("customer_id", lang), _h("customer", lang),
               *(field_label(f"contact.{c}", lang) for c in CONTACT_COLUMNS), _h("notes", lang)]
    rows: list[list[Cell]] = []
    records: list[dict[str, Any]] = []
    for customer in customers:
        for contact in contacts.get(customer.id, []):
            values = {c: getattr(contact, c) for c in CONTACT_COLUMNS}
            rows.append([customer.id, customer.name,
                         *(label_of(labels, f"contact.{c}", values[c]) for c in CONTACT_COLUMNS),
                         contact.notes])
            records.append({"id": contact.id, "customer_id": customer.id, **values,
                            "notes": contact.notes})
    return Sheet(_h("contacts_sheet", lang), headers, rows, records)


def choice_labels(flows: dict[str, Flow], lang: str) -> dict[str, dict[str, str]]:
    """card field -> choice id -> label, from every flow that writes that field; a staff
    flow's wording first ("Decision maker" rather than the customer's "I decide")."""
    labels: dict[str, dict[str, str]] = {}
    for flow in sorted(flows.values(), key=lambda f: f.audience != "rep"):
        for question in flow.questions:
            if question.maps_to and question.choices:
                known = labels.setdefault(question.maps_to, {})
                for choice in question.choices:
                    known.setdefault(choice.id, pick(choice.label, lang))
    return labels


# the fields a customer's card shows, in order (/card, the terminal, the dashboard)
CARD_SHOWN = ("customer.grade", "customer.priority", "customer.industry", "customer.employees",
              "customer.revenue_band", "customer.credit_code", "customer.address",
              "customer.website", "customer.celebration", "customer.last_verified",
              "deal.need_type", "deal.need_description", "deal.budget", "deal.timeline",
              "deal.decision_process", "deal.competitors", "deal.next_step",
              "deal.next_contact")


def card_values(customer: Customer, labels: dict[str, dict[str, str]],
                lang: str) -> list[tuple[str, str]]:
    """The card's filled fields as (label, value) a person reads, in `CARD_SHOWN` order."""
    shown = []
    for field in CARD_SHOWN:
        value = label_of(labels, field, getattr(customer, CARD_COLUMNS[field][1]))
        if value not in (None, ""):
            shown.append((field_label(field, lang), str(value)))
    return shown


def label_of(labels: dict[str, dict[str, str]], field: str, value: Any) -> Cell:
    """A card value as a person reads it: choice ids (also comma-joined lists) as labels."""
    if not isinstance(value, str) or field not in labels:
        return value  # type: ignore[no-any-return]
    known = labels[field]
    parts = value.split(",")
    if all(p in known for p in parts):
        return ", ".join(known[p] for p in parts)
    return value


# ------------------------------------------------------------------ writers
def _xlsx(sheets: list[Sheet]) -> bytes:
    # imported here: openpyxl (and the numpy it loads) costs every process start 0.3 s
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        page = book.create_sheet(sheet.name)
        page.append(sheet.headers)
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            page.append([_excel_value(v) for v in row])
        for row_cells in page.iter_rows(min_row=2):
            for cell in row_cells:
                if cell.data_type == "f":  # text that merely looks like a formula
                    cell.data_type = "s"
        page.freeze_panes = "A2"
        for index, header in enumerate(sheet.headers, start=1):
            letter = page.cell(row=1, column=index).column_letter
            page.column_dimensions[letter].width = min(max(_width(header), 8), 40)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _excel_value(value: Cell) -> Cell:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # already local; Excel keeps no zone
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("\ufffd", value)  # XML cannot hold control characters
    return value


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2


_FORMULA_START = ("=", "@", "\t", "\r")


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and (text.startswith(_FORMULA_START) or (
            text[:1] in "+-" and not _NUMBER.fullmatch(text))):
        return "'" + text
    return text


_NUMBER = re.compile(r"[+-]?[\d\s]+(\.\d+)?")


def _csv_zip(sheets: list[Sheet]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(sheet.headers)
            writer.writerows([_csv_text(v) for v in row] for row in sheet.rows)
            archive.writestr(f"{sheet.name}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


def _json(sheets: list[Sheet], now: datetime, lang: str) -> bytes:
    *interviews, customers, contacts = sheets
    document = {"exported_at": now, "language": lang,
                "interviews": [r for s in interviews for r in s.records],
                "customers": customers.records, "contacts": contacts.records,
                "stages": list(STAGES)}
    return json.dumps(document, ensure_ascii=False, indent=1, default=_json_default).encode()


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _BAD_SHEET.sub("_", title).strip("'") or "sheet"
    name, n = base[:31], 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.casefold())
    return name
