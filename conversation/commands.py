"""Every command, declared once: its name, who may use it, its menu entry, its handler.

The router, the permission check, the refusal text and the menu Telegram shows all read
this table; adding a command is one entry here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chat.actions import Send
from conversation import (
    agenda,
    card_commands,
    customer_entry,
    dashboard_command,
    interview_commands,
    manager_commands,
    record_commands,
    staff_commands,
    team_commands,
)
from conversation.context import Ctx
from conversation.permissions import ADMINS, MANAGERS, STAFF
from conversation.texts import say

Handler = Callable[[Ctx, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    roles: frozenset[str] | None  # None: anyone, customers included
    menu: dict[str, str] | None  # the menu entry per language; None: not in the menu
    handler: Handler
    changes_staff: bool = False  # who is staff, or in which role, may differ after it
    steady: bool = False  # moves only the interview in front of its sender, if any


def _on_customer(command: str) -> Handler:
    async def handle(ctx: Ctx, args: str) -> None:
        await staff_commands.with_customer(ctx, command, args)
    return handle


def _on_customer_with(command: str) -> Handler:
    """A command whose first word names the customer and the rest says what to do."""
    async def handle(ctx: Ctx, args: str) -> None:
        name, rest = card_commands.split_first(args)
        if name and not rest:
            ctx.actions.append(Send(ctx.chat_id, say(f"{command}_usage", ctx.lang,
                                                     problem="…")))
            return
        await staff_commands.with_customer(ctx, command, name, rest)
    return handle


async def _forget(ctx: Ctx, _args: str) -> None:
    await customer_entry.forget(ctx)


async def _today(ctx: Ctx, _args: str) -> None:
    await agenda.agenda(ctx, days=1)


async def _week(ctx: Ctx, _args: str) -> None:
    await agenda.agenda(ctx, days=7)


async def _customers(ctx: Ctx, _args: str) -> None:
    await staff_commands.list_customers(ctx)


COMMANDS: tuple[Command, ...] = (
    Command("start", None, {"zh": "开始", "en": "Start"}, interview_commands.start),
    Command("help", None, {"zh": "帮助", "en": "Help"}, interview_commands.help_,
            steady=True),
    Command("status", None, {"zh": "当前进度", "en": "Where am I"}, interview_commands.status,
            steady=True),
    Command("back", None, {"zh": "上一题", "en": "Previous question"}, interview_commands.back,
            steady=True),
    Command("skip", None, {"zh": "跳过此题", "en": "Skip this question"},
            interview_commands.skip, steady=True),
    Command("cancel", None, {"zh": "结束问卷", "en": "Stop the interview"},
            interview_commands.cancel),
    Command("correct", None, {"zh": "更正刚完成问卷的回答", "en": "Correct a finished answer"},
            interview_commands.correct),
    Command("lang", None, {"zh": "切换语言 / Language", "en": "Language / 语言"},
            interview_commands.language),
    Command("debrief", STAFF, {"zh": "拜访后复盘（销售）", "en": "Debrief after a call (staff)"},
            _on_customer("debrief")),
    Command("invite", STAFF, {"zh": "生成客户问卷链接（销售）", "en": "Customer link (staff)"},
            _on_customer("invite")),
    Command("customers", STAFF, {"zh": "我的客户（销售）", "en": "Your customers (staff)"},
            _customers),
    Command("card", STAFF, {"zh": "客户信息卡（销售）", "en": "Customer card (staff)"},
            _on_customer("card")),
    # exports copy customer data out of the system: managers only (seed 001: no copying
    # without approval)
    Command("today", STAFF, {"zh": "今天要做的（销售）", "en": "Due today (staff)"}, _today),
    Command("week", STAFF, {"zh": "本周要做的（销售）", "en": "Due this week (staff)"}, _week),
    Command("note", STAFF, {"zh": "记一条客户备注（销售）", "en": "Note on a customer (staff)"},
            _on_customer_with("note")),
    Command("edit", STAFF, {"zh": "修改信息卡字段（销售）", "en": "Correct a card field (staff)"},
            _on_customer_with("edit")),
    Command("export", MANAGERS, {"zh": "导出数据（主管）", "en": "Export the data (managers)"},
            manager_commands.export),
    Command("report", MANAGERS, {"zh": "团队报告（主管）", "en": "Team report (managers)"},
            manager_commands.report),
    Command("history", MANAGERS, {"zh": "客户访问记录（主管）",
                                  "en": "Who accessed a customer (managers)"},
            _on_customer("history")),
    Command("dashboard", STAFF, {"zh": "打开网页看板", "en": "Open the web dashboard"},
            dashboard_command.dashboard),
    Command("forget", None, {"zh": "撤回同意", "en": "Withdraw consent"}, _forget),
    Command("reassign", MANAGERS, None, team_commands.reassign),
    Command("merge", MANAGERS, {"zh": "合并重复客户（主管）", "en": "Merge duplicates (managers)"},
            record_commands.merge),
    Command("coowner", MANAGERS, None, record_commands.co_owner),
    Command("adduser", ADMINS, None, staff_commands.add_user, changes_staff=True),
    Command("setrole", ADMINS, None, team_commands.set_role, changes_staff=True),
    Command("deactivate", ADMINS, None, team_commands.deactivate, changes_staff=True),
)
BY_NAME = {command.name: command for command in COMMANDS}
OPEN_COMMANDS = frozenset(c.name for c in COMMANDS if c.roles is None)
COMMAND_ROLES = {c.name: c.roles for c in COMMANDS if c.roles is not None}


def menus() -> dict[str, list[tuple[str, str]]]:
    """The command menu per language, for setMyCommands."""
    return {lang: [(c.name, c.menu[lang]) for c in COMMANDS if c.menu is not None]
            for lang in ("zh", "en")}
