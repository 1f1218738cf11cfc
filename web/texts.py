"""The dashboard's words, in Chinese and English (the viewer's language)."""

from __future__ import annotations

from typing import Any

from flows.i18n import from_catalog

TEXTS: dict[str, dict[str, str]] = {
    "title": {"zh": "客户访谈看板", "en": "Interview dashboard"},
    "team": {"zh": "团队今日", "en": "Team today"},
    "customers": {"zh": "客户", "en": "Customers"},
    "reps": {"zh": "销售", "en": "Reps"},
    "report": {"zh": "周报", "en": "Weekly report"},
    "sign_out": {"zh": "退出", "en": "Sign out"},
    "signed_in_as": {"zh": "{name}（{role}）", "en": "{name} ({role})"},
    "sign_in_title": {"zh": "登录看板", "en": "Sign in to the dashboard"},
    "sign_in_text": {"zh": "这个链接会让本浏览器以您的 Telegram 账号登录，只能使用一次。",
                     "en": "This link signs this browser in as your Telegram account. It "
                           "works once."},
    "sign_in_button": {"zh": "登录", "en": "Sign in"},
    "bad_link": {"zh": "这个登录链接无效：可能已用过、已过期或不存在。请在机器人里发送 /dashboard 获取新链接。",
                 "en": "This sign-in link does not work: it was used, has expired, or was "
                       "never issued. Send /dashboard to the bot for a new one."},
    "need_sign_in": {"zh": "请先登录：在机器人里发送 /dashboard 获取登录链接。",
                     "en": "Please sign in first: send /dashboard to the bot for a link."},
    "signed_out": {"zh": "已退出。", "en": "You are signed out."},
    "not_yours": {"zh": "您无权查看这个客户。", "en": "You may not see this customer."},
    "not_found": {"zh": "没有这个页面。", "en": "There is no such page."},
    "server_error": {"zh": "出了点问题，这个页面暂时打不开。请稍后再试；问题已记录。",
                     "en": "Something went wrong and this page could not be shown. Please try "
                           "again later; the problem has been logged."},
    "cross_site": {"zh": "这个登录请求来自其他网站，已拒绝。请直接打开机器人发给你的登录链接。",
                   "en": "This sign-in came from another website and was refused. Open the "
                         "sign-in link the bot sent you directly."},
    "overdue": {"zh": "逾期回访", "en": "Overdue revisits"},
    "days_late": {"zh": "逾期 {days} 天", "en": "{days} days late"},
    "due_week": {"zh": "本周待办", "en": "Due this week"},
    "open_interviews": {"zh": "未完成的访谈", "en": "Open interviews"},
    "refusals": {"zh": "拒绝或撤回同意", "en": "Consent declined or withdrawn"},
    "declined": {"zh": "拒绝", "en": "declined"},
    "withdrawn": {"zh": "撤回", "en": "withdrawn"},
    "none": {"zh": "无", "en": "none"},
    "search": {"zh": "搜索（名称、拼音、联系人、电话）", "en": "Search (name, pinyin, contact, phone)"},
    "grade": {"zh": "等级", "en": "Grade"},
    "priority": {"zh": "优先级", "en": "Priority"},
    "owner": {"zh": "负责人", "en": "Owner"},
    "any": {"zh": "全部", "en": "any"},
    "no_grade": {"zh": "未定", "en": "not set"},
    "only_overdue": {"zh": "只看逾期", "en": "Overdue only"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "matched": {"zh": "共 {total} 个客户，显示前 {shown} 个", "en": "{total} customers, {shown} shown"},
    "name": {"zh": "名称", "en": "Name"},
    "last_contact": {"zh": "上次联系", "en": "Last contact"},
    "revisit_due": {"zh": "应回访", "en": "Revisit due"},
    "card": {"zh": "信息卡", "en": "Card"},
    "contacts": {"zh": "联系人", "en": "Contacts"},
    "co_owners": {"zh": "共同负责", "en": "Co-owners"},
    "quality": {"zh": "资料质量", "en": "Record quality"},
    "notes": {"zh": "备注", "en": "Notes"},
    "reminders": {"zh": "提醒", "en": "Reminders"},
    "interviews": {"zh": "访谈", "en": "Interviews"},
    "by": {"zh": "回答人", "en": "By"},
    "the_customer": {"zh": "客户本人", "en": "the customer"},
    "debriefs_week_of": {"zh": "复盘 {day} 起一周", "en": "Debriefs, week from {day}"},
    "coverage": {"zh": "SPIN 覆盖", "en": "SPIN coverage"},
    "late_follow_ups": {"zh": "逾期跟进", "en": "Late follow-ups"},
    "avg_late": {"zh": "平均逾期天数", "en": "Average days late"},
    "high": {"zh": "高", "en": "high"}, "medium": {"zh": "中", "en": "medium"},
    "low": {"zh": "低", "en": "low"},
    "active": {"zh": "进行中", "en": "in progress"},
    "q_withdraw": {"zh": "您可以随时联系您的销售代表撤回同意。", "en": "You can withdraw at any time by telling your account manager."},
    "q_agree": {"zh": "同意并开始", "en": "I agree, start"},
    "q_decline": {"zh": "不同意", "en": "I decline"},
    "q_next": {"zh": "下一题", "en": "Next"},
    "q_back": {"zh": "上一题", "en": "Back"},
    "q_skip": {"zh": "跳过", "en": "Skip"},
    "q_progress": {"zh": "第 {n} 题，约 {m} 题", "en": "Question {n} of about {m}"},
    "q_current": {"zh": "您之前的回答：{answer}", "en": "Your answer so far: {answer}"},
    "status_pending": {"zh": "待发送", "en": "to be sent"},
    "status_sent": {"zh": "已发送", "en": "sent"},
    "status_done": {"zh": "已完成", "en": "done"},
    "status_snoozed": {"zh": "已推迟", "en": "snoozed"},
    "status_cancelled": {"zh": "已取消", "en": "cancelled"},
    "status_expired": {"zh": "已过期", "en": "expired"},
    "status_failed": {"zh": "发送失败", "en": "failed"},
    "completed": {"zh": "已完成", "en": "completed"},
    "cancelled": {"zh": "已停止", "en": "stopped"},
}


def say(key: str, lang: str, **params: Any) -> str:
    return from_catalog(TEXTS, key, lang, **params)
