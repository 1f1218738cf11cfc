"""What people read instead of ids: grades, priorities, roles, audit actions, channels.
Every label a chat message shows comes from here (or the flows' choice labels), in the
reader's language; tests/bot/test_reps_day.py fails on a raw id reaching a message."""

from __future__ import annotations

from flows.i18n import from_catalog
from flows.tag_labels import tag_label

LABELS: dict[str, dict[str, str]] = {
    "grade": {"zh": "{grade}级", "en": "grade {grade}"},
    "role.rep": {"zh": "销售", "en": "rep"},
    "role.manager": {"zh": "主管", "en": "manager"},
    "role.admin": {"zh": "管理员", "en": "admin"},
    "action.audit.read": {"zh": "查看了访问记录", "en": "read the access history"},
    "action.card.read": {"zh": "查看了信息卡", "en": "viewed the card"},
    "action.card.update": {"zh": "访谈更新了信息卡", "en": "an interview updated the card"},
    "action.card.edit": {"zh": "修改了信息卡", "en": "corrected the card"},
    "action.note.add": {"zh": "添加了备注", "en": "added a note"},
    "action.contact.erase": {"zh": "删除了一位联系人的个人信息", "en": "erased a contact"},
    "action.customer.close": {"zh": "关闭了客户", "en": "closed the customer"},
    "action.customer.create": {"zh": "新建了客户", "en": "created the customer"},
    "action.customer.erase": {"zh": "删除了客户的个人信息", "en": "erased the customer"},
    "action.customer.reassign": {"zh": "转交了客户", "en": "handed the customer over"},
    "action.customer.import": {"zh": "从表格导入了客户", "en": "imported the customer"},
    "action.customer.merge": {"zh": "从表格合并了资料", "en": "merged a spreadsheet row"},
    "action.export": {"zh": "导出了数据", "en": "exported data"},
    "action.web.link": {"zh": "申请了网页看板登录链接", "en": "asked for a dashboard link"},
    "action.web.sign_in": {"zh": "登录了网页看板", "en": "signed in to the dashboard"},
    "action.web.read": {"zh": "在网页看板查看了", "en": "viewed on the dashboard"},
    "channel.web": {"zh": "网页", "en": "web"},
    "action.customer.fold": {"zh": "合并了重复记录", "en": "merged a duplicate record"},
    "action.customer.co_owner": {"zh": "添加了共同负责人", "en": "added a co-owner"},
    "action.customer.co_owner_removed": {"zh": "移除了共同负责人", "en": "removed a co-owner"},
    "action.interview.cancel": {"zh": "结束了访谈", "en": "stopped an interview"},
    "action.interview.complete": {"zh": "完成了访谈", "en": "completed an interview"},
    "action.interview.purge": {"zh": "按保留期限删除了访谈", "en": "purged interviews"},
    "action.interview.resume": {"zh": "继续了停下的访谈", "en": "resumed a stopped interview"},
    "action.interview.start": {"zh": "开始了访谈", "en": "started an interview"},
    "action.invite.create": {"zh": "生成了问卷链接", "en": "made an invite link"},
    "action.invite.revoke": {"zh": "撤销了问卷链接", "en": "revoked invite links"},
    "action.personal.export": {"zh": "导出了个人信息", "en": "exported personal data"},
    "action.report": {"zh": "查看了团队报告", "en": "viewed the team report"},
    "action.user.add": {"zh": "添加了成员", "en": "added a team member"},
    "action.user.change": {"zh": "修改了成员", "en": "changed a team member"},
    "action.user.deactivate": {"zh": "停用了成员", "en": "deactivated a team member"},
    "channel.telegram": {"zh": "Telegram", "en": "Telegram"},
    "channel.cli": {"zh": "命令行", "en": "command line"},
    "channel.interview": {"zh": "访谈", "en": "interview"},
    "channel.engine": {"zh": "系统", "en": "system"},
    "channel.system": {"zh": "系统", "en": "system"},
    "outcome.refused": {"zh": "（被拒绝）", "en": " (refused)"},
    "duplicate_of": {"zh": "可能与 {other} 重复（同一信用代码，可用 /merge 合并）",
                     "en": "possibly the same company as {other} (same credit code; /merge)"},
}


def label(key: str, lang: str, **params: str) -> str:
    """The label, or the key's last part when none is known (never raises)."""
    if key not in LABELS:
        return key.rsplit(".", 1)[-1]
    return from_catalog(LABELS, key, lang, **params)


def grade(value: str | None, lang: str) -> str:
    return label("grade", lang, grade=value) if value else "—"


def priority(value: str | None, lang: str) -> str:
    return tag_label(f"priority:{value}", lang) if value else "—"  # as its tag reads


def role(value: str, lang: str) -> str:
    return label(f"role.{value}", lang)


def tag(value: str, lang: str) -> str:
    """A customer tag in words (flows.tag_labels), a possible duplicate with its name."""
    kind, _, rest = value.partition(":")
    if kind == "duplicate_of":
        return label("duplicate_of", lang, other=rest)
    return tag_label(value, lang)
