"""The command menu Telegram shows, per language (registered with setMyCommands on start)."""

from __future__ import annotations

COMMANDS: dict[str, list[tuple[str, str]]] = {
    "zh": [("start", "开始"), ("help", "帮助"), ("status", "当前进度"), ("back", "上一题"),
           ("skip", "跳过此题"), ("cancel", "结束问卷"), ("lang", "切换语言 / Language"),
           ("debrief", "拜访后复盘（销售）"), ("invite", "生成客户问卷链接（销售）"),
           ("customers", "我的客户（销售）"), ("card", "客户信息卡（销售）"),
           ("export", "导出数据（主管）"), ("report", "团队报告（主管）"),
           ("history", "客户访问记录（主管）"),
           ("forget", "撤回同意")],
    "en": [("start", "Start"), ("help", "Help"), ("status", "Where am I"),
           ("back", "Previous question"), ("skip", "Skip this question"),
           ("cancel", "Stop the interview"), ("lang", "Language / 语言"),
           ("debrief", "Debrief after a call (staff)"), ("invite", "Customer link (staff)"),
           ("customers", "Your customers (staff)"), ("card", "Customer card (staff)"),
           ("export", "Export the data (managers)"), ("report", "Team report (managers)"),
           ("history", "Who accessed a customer (managers)"),
           ("forget", "Withdraw consent")],
}
