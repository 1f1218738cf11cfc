"""A team's staff from a spreadsheet (`users import`): one person a row — name, role,
Telegram id and/or Feishu open id, and their manager (a name in the sheet or already
registered, or a Telegram id). Every row is checked before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flows.card_fields import name_key

COLUMNS = {
    "name": ["姓名", "名字", "name"],
    "role": ["角色", "职位", "role"],
    "telegram_id": ["telegram", "telegramid", "tg", "telegram用户id"],
    "feishu_open_id": ["飞书", "飞书openid", "openid", "feishu", "feishuopenid", "lark"],
    "manager": ["主管", "上级", "经理", "manager"],
}
ROLE_WORDS = {"销售": "rep", "业务员": "rep", "rep": "rep", "sales": "rep",
              "主管": "manager", "经理": "manager", "销售经理": "manager", "manager": "manager",
              "管理员": "admin", "admin": "admin"}
OPEN_ID = re.compile(r"ou_[0-9a-zA-Z]{10,60}")


@dataclass(frozen=True)
class StaffRow:
    number: int  # as the spreadsheet shows it (the header is row 1)
    name: str
    role: str
    telegram_id: int | None
    feishu_open_id: str | None
    manager: str | None  # a name, or a Telegram id as typed


def read_staff(table: Iterable[list[str]]) -> tuple[list[StaffRow], list[str]]:
    """The rows, and every problem found (row by row, with what is expected)."""
    rows, problems = iter(table), []
    header = next(rows, [])
    where = {name_key(h): i for i, h in enumerate(header)}
    index = {column: next((where[name_key(a)] for a in aliases if name_key(a) in where), None)
             for column, aliases in COLUMNS.items()}
    if index["name"] is None or index["role"] is None:
        return [], ["the sheet needs a 姓名/name column and a 角色/role column"]
    found: list[StaffRow] = []
    for number, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {column: cells[at].strip() if at is not None and at < len(cells) else ""
                  for column, at in index.items()}
        row = _row(number, values)
        if isinstance(row, str):
            problems.append(f"row {number}: {row}")
        else:
            found.append(row)
    return found, problems


def _row(number: int, values: dict[str, str]) -> StaffRow | str:
    """The row, or what is wrong with it."""
    name, role_text = values["name"], values["role"]
    telegram, open_id = values["telegram_id"], values["feishu_open_id"]
    role = ROLE_WORDS.get(role_text.casefold())
    if not name:
        return "the name is empty"
    if role is None:
        return f"role {role_text!r} is not 销售/rep, 主管/manager or 管理员/admin"
    if telegram and not telegram.isdecimal():
        return f"Telegram id {telegram!r} is not a number"
    if open_id and not OPEN_ID.fullmatch(open_id):
        return f"{open_id!r} is not a Feishu open id (ou_ and letters and digits)"
    if not telegram and not open_id:
        return f"{name} has neither a Telegram id nor a Feishu open id"
    return StaffRow(number, name, role, int(telegram) if telegram else None, open_id or None,
                    values["manager"] or None)
