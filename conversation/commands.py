"""Every command, declared once: its name, who may use it, its menu entry, its handler.

The router, the permission check, the refusal text and the menu Telegram shows all read
this table; adding a command is one entry here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chat.actions import Send, clip
from chat.capabilities import Channel
from conversation import (
    agenda,
    card_commands,
    customer_entry,
    dashboard_command,
    interview_commands,
    manager_commands,
    pool_commands,
    record_commands,
    staff_commands,
    team_commands,
)
from conversation.context import Ctx
from conversation.interview_replies import after_turn, current
from conversation.permissions import ADMINS, MANAGERS, STAFF, stranger
from conversation.texts import say

Handler = Callable[[Ctx, str], Awaitable[None]]


I18n = dict[str, str]


@dataclass(frozen=True)
class Command:
    name: str
    roles: frozenset[str] | None  # None: anyone, customers included
    menu: I18n | None  # the menu entry per language; None: not in the menu
    handler: Handler
    changes_staff: bool = False  # who is staff, or in which role, may differ after it
    steady: bool = False  # moves only the interview in front of its sender, if any
    usage: I18n | None = None  # what follows the command, as /help shows it
    about: I18n | None = None  # what /help says of it, when it has no menu entry
    needs: tuple[str, ...] = ()  # what the channel must do for it (chat.capabilities)
    customers_only: bool = False  # for a customer's own answers: not in staff's /help

    def works_on(self, channel: Channel) -> bool:
        return all(getattr(channel, need) for need in self.needs)


CUSTOMER: I18n = {"zh": "客户名", "en": "customer"}


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


async def _meet(ctx: Ctx, args: str) -> None:
    """/meet <customer> [when | 取消]: the customer first, then what to do."""
    name, rest = card_commands.split_first(args)
    await staff_commands.with_customer(ctx, "meet", name, rest)


async def _forget(ctx: Ctx, _args: str) -> None:
    await customer_entry.forget(ctx)


def help_text(ctx: Ctx) -> None:
    """What the sender may do here: staff, the commands of their role that work on this
    channel; anyone else, who the bot is for (on a staff-only channel, with the id an admin
    registers them by)."""
    if ctx.user is None:
        ctx.actions.append(Send(ctx.chat_id, stranger(ctx.lang, ctx.channel,
                                                      ctx.incoming.account)))
        return
    ctx.actions.append(Send(ctx.chat_id, clip(help_for(ctx.user.role, ctx.channel, ctx.lang))))


async def _help(ctx: Ctx, _args: str) -> None:
    interview = await current(ctx)
    if interview is not None and ctx.user is None:
        ctx.actions.append(Send(ctx.chat_id, say("help_customer", ctx.lang)))
        await after_turn(ctx, await ctx.interviews.show(ctx.session, interview.id, ctx.lang))
    else:
        help_text(ctx)


async def _start(ctx: Ctx, args: str) -> None:
    """`/start <invite token>` opens an invite; a bare /start is /help."""
    if args:
        await customer_entry.open_invite(ctx, args)
    else:
        await _help(ctx, args)


async def _today(ctx: Ctx, _args: str) -> None:
    await agenda.agenda(ctx, days=1)


async def _week(ctx: Ctx, _args: str) -> None:
    await agenda.agenda(ctx, days=7)


async def _customers(ctx: Ctx, _args: str) -> None:
    await staff_commands.list_customers(ctx)


COMMANDS: tuple[Command, ...] = (
    Command("start", None, {"zh": "开始", "en": "Start"}, _start),
    Command("help", None, {"zh": "帮助", "en": "Help"}, _help, steady=True),
    Command("status", None, {"zh": "当前进度", "en": "Where am I"}, interview_commands.status,
            steady=True),
    Command("back", None, {"zh": "上一题", "en": "Previous question"}, interview_commands.back,
            steady=True),
    Command("skip", None, {"zh": "跳过此题", "en": "Skip this question"},
            interview_commands.skip, steady=True),
    Command("cancel", None, {"zh": "结束问卷", "en": "Stop the interview"},
            interview_commands.cancel),
    Command("correct", None, {"zh": "更正刚完成问卷的回答", "en": "Correct a finished answer"},
            interview_commands.correct, customers_only=True,
            usage={"zh": "[编号 新的回答]", "en": "[number new answer]"}),
    Command("lang", None, {"zh": "切换语言 / Language", "en": "Language / 语言"},
            interview_commands.language, usage={"zh": "zh|en", "en": "zh|en"}),
    Command("debrief", STAFF, {"zh": "拜访后复盘（销售）", "en": "Debrief after a call (staff)"},
            _on_customer("debrief"), usage=CUSTOMER),
    Command("invite", STAFF, {"zh": "生成客户问卷链接（销售）", "en": "Customer link (staff)"},
            _on_customer("invite"), usage=CUSTOMER),
    Command("customers", STAFF, {"zh": "我的客户（销售）", "en": "Your customers (staff)"},
            _customers),
    Command("card", STAFF, {"zh": "客户信息卡（销售）", "en": "Customer card (staff)"},
            _on_customer("card"), usage=CUSTOMER),
    Command("brief", STAFF, {"zh": "拜访前简报（销售）", "en": "Brief before a call (staff)"},
            _on_customer("brief"), usage=CUSTOMER),
    Command("meet", STAFF, {"zh": "安排会面，会前收到简报（销售）",
                            "en": "Set a meeting; its brief comes before (staff)"},
            _meet, usage={"zh": "客户名 时间|取消", "en": "customer when|cancel"}),
    # exports copy customer data out of the system: managers only (seed 001: no copying
    # without approval)
    Command("today", STAFF, {"zh": "今天要做的（销售）", "en": "Due today (staff)"}, _today),
    Command("week", STAFF, {"zh": "本周要做的（销售）", "en": "Due this week (staff)"}, _week),
    Command("note", STAFF, {"zh": "记一条客户备注（销售）", "en": "Note on a customer (staff)"},
            _on_customer_with("note"),
            usage={"zh": "客户名 内容", "en": "customer text"}),
    Command("edit", STAFF, {"zh": "修改信息卡字段（销售）", "en": "Correct a card field (staff)"},
            _on_customer_with("edit"),
            usage={"zh": "客户名 字段 新值", "en": "customer field value"}),
    Command("pool", STAFF, {"zh": "团队公海（销售）", "en": "The team pool (staff)"},
            pool_commands.pool, usage={"zh": "[等级] [客户名]", "en": "[grade] [name]"}),
    Command("claim", STAFF, {"zh": "从公海认领客户（销售）", "en": "Claim from the pool (staff)"},
            pool_commands.claim, usage={"zh": "客户名 [成员ID]", "en": "customer [member id]"}),
    Command("exempt", MANAGERS, None, pool_commands.exempt,
            usage={"zh": "客户名 [off]", "en": "customer [off]"},
            about={"zh": "重点客户不退回公海（主管）",
                   "en": "Keep a key account out of the pool (managers)"}),
    Command("export", MANAGERS, {"zh": "导出数据（主管）", "en": "Export the data (managers)"},
            manager_commands.export, needs=("files",),
            usage={"zh": "[xlsx|csv|json] [问卷ID] [起始日期] 原因",
                   "en": "[xlsx|csv|json] [flow id] [since date] reason"}),
    Command("report", MANAGERS, {"zh": "团队报告（主管）", "en": "Team report (managers)"},
            manager_commands.report, needs=("images",),
            usage={"zh": "[天数]", "en": "[days]"}),
    Command("history", MANAGERS, {"zh": "客户访问记录（主管）",
                                  "en": "Who accessed a customer (managers)"},
            _on_customer("history"), usage=CUSTOMER),
    Command("dashboard", STAFF, {"zh": "打开网页看板", "en": "Open the web dashboard"},
            dashboard_command.dashboard),
    Command("forget", None, {"zh": "撤回同意", "en": "Withdraw consent"}, _forget,
            customers_only=True),
    Command("reassign", MANAGERS, None, team_commands.reassign,
            usage={"zh": "原负责人ID 新负责人ID", "en": "from-id to-id"},
            about={"zh": "转交客户（主管）", "en": "Hand customers over (managers)"}),
    Command("merge", MANAGERS, {"zh": "合并重复客户（主管）", "en": "Merge duplicates (managers)"},
            record_commands.merge,
            usage={"zh": "重复客户 保留客户", "en": "duplicate keep"}),
    Command("coowner", MANAGERS, None, record_commands.co_owner,
            usage={"zh": "客户名 [-]ID", "en": "customer [-]id"},
            about={"zh": "加上或去掉共同负责人（主管）",
                   "en": "Add or remove a co-owner (managers)"}),
    Command("adduser", ADMINS, None, staff_commands.add_user, changes_staff=True,
            usage={"zh": "ID 角色(rep|manager|admin) 姓名", "en": "id rep|manager|admin name"},
            about={"zh": "登记成员（管理员）", "en": "Register a person (admins)"}),
    Command("setrole", ADMINS, None, team_commands.set_role, changes_staff=True,
            usage={"zh": "ID 角色", "en": "id role"},
            about={"zh": "更改角色（管理员）", "en": "Change a role (admins)"}),
    Command("deactivate", ADMINS, None, team_commands.deactivate, changes_staff=True,
            usage={"zh": "ID", "en": "id"},
            about={"zh": "停用成员（管理员）", "en": "Deactivate a person (admins)"}),
)
BY_NAME = {command.name: command for command in COMMANDS}
OPEN_COMMANDS = frozenset(c.name for c in COMMANDS if c.roles is None)
COMMAND_ROLES = {c.name: c.roles for c in COMMANDS if c.roles is not None}


def help_for(role: str, channel: Channel, lang: str) -> str:
    """/help for a member of staff: every command their role may use that works on this
    channel, with what follows it."""
    lines = []
    for command in COMMANDS:
        described = command.menu or command.about
        if (described is None or command.name == "start" or command.customers_only
                or (command.roles is not None and role not in command.roles)
                or not command.works_on(channel)):
            continue
        usage = f" {command.usage[lang]}" if command.usage else ""
        lines.append(f"/{command.name}{usage} — {described[lang]}")
    return say("help_title", lang) + "\n" + "\n".join(lines)


def menus() -> dict[str, list[tuple[str, str]]]:
    """The command menu per language, for setMyCommands."""
    return {lang: [(c.name, c.menu[lang]) for c in COMMANDS if c.menu is not None]
            for lang in ("zh", "en")}
