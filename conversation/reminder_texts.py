"""What a reminder says, in the recipient's language, and the buttons it carries."""

from __future__ import annotations

from typing import Any

from chat.actions import Button, Keyboard
from conversation import texts
from flows.i18n import from_catalog, pick

TEXTS: dict[str, dict[str, str]] = {
    "share_request": {"zh": "🤝 {requester} 想和你一起跟进 {customer}。同意后 TA 成为共同负责人。",
                      "en": "🤝 {requester} would like to work on {customer} with you. If you "
                            "agree, they become a co-owner."},
    "share_button": {"zh": "同意共享", "en": "Share it"},
    "duplicate_manager": {"zh": "⚠️ 疑似撞单：{requester} 想跟进 {owner} 负责的 {customer}。"
                                "可用 /coowner 添加共同负责人，或 /reassign 转交。",
                          "en": "⚠️ Two reps on one customer: {requester} would like to work on "
                                "{customer}, which {owner} owns. /coowner adds a co-owner; "
                                "/reassign hands customers over."},
    "shared": {"zh": "✅ {owner} 同意与你共享 {customer}，你现在是共同负责人。",
               "en": "✅ {owner} shares {customer} with you: you are now a co-owner."},
    "pool_warning": {"zh": "⏳ {customer} 若仍无跟进（已近 {days} 天），将于 {release_on} 退回团队公海。"
                           "做一次复盘、记一条备注或完成一个跟进即可保留。",
                     "en": "⏳ {customer} goes back to the team pool on {release_on} unless it is "
                           "worked on ({days} days without a debrief, note or done follow-up). "
                           "A debrief, a note or a follow-up marked done keeps it yours."},
    "pool_released": {"zh": "↩️ {customer} 长期未跟进，已退回团队公海，团队中任何销售都可以认领。",
                      "en": "↩️ {customer} was not worked on in time and went back to the team "
                            "pool, where anyone on the team may claim it."},
    "pool_team": {"zh": "↩️ 今天有 {count} 家客户因未跟进退回了团队公海：{names}",
                  "en": "↩️ {count} customer(s) went back to the team pool for lack of "
                        "follow-up: {names}"},
    "follow_up": {"zh": "⏰ 跟进提醒：{customer}\n{note}", "en": "⏰ Follow up with {customer}\n{note}"},
    "revisit": {"zh": "📅 {customer} 该回访了（应于 {due_on} 前）。",
                "en": "📅 {customer} is due for a revisit (by {due_on})."},
    "birthday": {"zh": "🎂 {customer} 的联系人 {contact} 将在 {birthday} 过生日。",
                 "en": "🎂 {contact} at {customer} has a birthday on {birthday}."},
    "invite_nudge": {"zh": "您好！您的会前问卷还没有完成，随时可以继续回答。发送 /start 查看当前问题。",
                     "en": "Hello! Your questionnaire is not finished yet; you can continue any "
                           "time. Send /start to see the current question."},
    "invite_unanswered": {"zh": "📨 {customer} 的问卷邀请尚未完成（{state}）。",
                          "en": "📨 {customer} has not completed the questionnaire yet ({state})."},
    "opened": {"zh": "已打开链接", "en": "link opened"},
    "not_opened": {"zh": "还没有打开链接", "en": "link not opened"},
    "digest": {"zh": "📋 逾期未回访的客户（共 {total} 个）：\n{lines}",
               "en": "📋 Customers overdue for a revisit ({total}):\n{lines}"},
    "digest_released": {"zh": "↩️ 过去一天因未跟进退回公海的客户（{count} 家）：{names}",
                        "en": "↩️ Gone back to the team pool in the last day for lack of "
                              "follow-up ({count}): {names}"},
    "digest_line": {"zh": "• {customer}（{owner}）逾期 {days} 天", "en": "• {customer} ({owner}): {days} days overdue"},
    "reassigned_in": {"zh": "📥 {other} 的 {count} 个客户已转给您：{customers}。相关提醒和未完成的邀请也一并转来。",
                      "en": "📥 {count} customer(s) of {other} are yours now: {customers}. Their "
                            "reminders and open invites came with them."},
    "reassigned_assigned": {"zh": "📥 {count} 个尚无负责人的客户已分配给您：{customers}。",
                            "en": "📥 {count} customer(s) nobody owned are yours now: "
                                  "{customers}."},
    "reassigned_out": {"zh": "📤 您的 {count} 个客户已转给 {other}：{customers}。",
                       "en": "📤 {count} of your customers now belong to {other}: {customers}."},
    "weekly_report": {"zh": "📊 本周团队报告已生成（/report 可随时查看）。",
                      "en": "📊 The weekly team report is ready (/report shows it any time)."},
    "escalation": {"zh": "⚠️ {customer} 已逾期 {days} 天未回访（{manager} 的团队）。",
                   "en": "⚠️ {customer} is {days} days overdue for a revisit ({manager}'s team)."},
    "redirected": {"zh": "↪️ {name} 无法接收消息（已屏蔽机器人），转给您：\n{text}",
                   "en": "↪️ {name} cannot be reached (blocked the bot); passing this to you:\n{text}"},
    "overdue": {"zh": "📅 {customer} 的回访已逾期 {days} 天（应于 {due_on}）。",
                "en": "📅 {customer} is {days} days overdue for a revisit (due {due_on})."},
    "overdue_team": {"zh": "⚠️ {owner} 的客户 {customer} 回访已逾期 {days} 天（应于 {due_on}）。",
                     "en": "⚠️ {owner}'s customer {customer} is {days} days overdue for a "
                           "revisit (due {due_on})."},
    "brief": {"zh": "⏰ 与 {customer} 的会面快到了：/brief {customer} 查看会前简报。",
              "en": "⏰ Your meeting with {customer} is coming up: /brief {customer} for the "
                    "brief."},
    "nudge": {"zh": "✏️ 您在 {customer} 的问卷还没有完成，随时可以接着回答。",
              "en": "✏️ Your interview about {customer} is not finished; pick up where you "
                    "left off any time."},
    "contact_due": {"zh": "👤 重点客户 {customer}：该联系{contact}（{role}）了，按规定每 {days} 天至少一次，上次是 {last}。",
                    "en": "👤 Key account {customer}: time to contact {contact} ({role}); "
                          "every {days} days at least, last on {last}."},
    "manager_revisit": {"zh": "🏅 {grade} 级客户 {customer}（{owner} 负责）本季度需要您亲自回访（应于 {due_on} 前）。",
                        "en": "🏅 Grade {grade} customer {customer} ({owner}'s) is due for your "
                              "quarterly revisit (by {due_on})."},
    "celebration": {"zh": "🎉 {customer} 的庆典日是 {day}，还有 30 天左右，可以提前准备问候。",
                    "en": "🎉 {customer} celebrates on {day}, about 30 days from now: time to "
                          "plan a greeting."},
    "verify": {"zh": "🔎 {customer} 的客户卡片需要做季度核实（{last}）。逐项确认或更正，几分钟即可。",
               "en": "🔎 {customer}'s card is due for its quarterly check ({last}). Keep or "
                     "correct each item; a few minutes."},
    "verify_never": {"zh": "从未核实", "en": "never checked"},
    "verify_last": {"zh": "上次核实：{day}", "en": "last checked {day}"},
    "clean_up": {"zh": "🧹 请在 {by} 前清理 {customer} 的记录，以下回答还不够具体：\n{lines}",
                 "en": "🧹 Please clean up {customer}'s record by {by}; these answers are "
                       "still vague:\n{lines}"},
    "clean_up_line": {"zh": "• {field}：“{value}”（{rule}）", "en": "• {field}: “{value}” ({rule})"},
    "start_debrief": {"zh": "开始复盘", "en": "Debrief now"},
    "start_verify": {"zh": "开始核实", "en": "Check now"},
    "start_clean_up": {"zh": "现在清理", "en": "Clean up now"},
    "start_revisit": {"zh": "开始回访", "en": "Revisit now"},
    "snooze_day": {"zh": "推迟 1 天", "en": "Snooze 1 day"},
    "snooze_week": {"zh": "推迟 1 周", "en": "Snooze 1 week"},
    "done": {"zh": "已完成 ✓", "en": "Done ✓"},
}


# the flow a reminder's "now" button starts (others: the debrief)
GO_FLOW = {"revisit": "revisit", "overdue": "revisit", "overdue_team": "revisit",
           "manager_revisit": "revisit", "verify": "verify", "clean_up": "clean_up"}


def say(key: str, lang: str, **params: Any) -> str:
    return from_catalog(TEXTS, key, lang, **params)


def buttons(reminder_id: int, kind: str, lang: str,
            payload: dict[str, Any] | None = None) -> Keyboard:
    """Customer-facing reminders carry no buttons; staff ones can start, snooze or close;
    a nudge continues its interview."""
    if kind == "nudge":
        interview = (payload or {}).get("interview_id")
        label = texts.say("continue_button", lang)  # the same button as in /today
        return ((Button(label, f"cont:{interview}"),),) if interview else ()
    if kind == "share_request" and payload:
        return ((Button(say("share_button", lang),
                        f"share:{payload.get('customer_id')}.{payload.get('requester_id')}"),),)
    if kind in ("invite_nudge", "digest", "redirected", "weekly_report", "reassigned",
                "questionnaire_done", "questionnaire_corrected", "brief", "pool_released",
                "pool_team", "duplicate_manager", "shared"):
        return ()
    start = "start_" + GO_FLOW.get(kind, "debrief")
    rows: list[tuple[Button, ...]] = []
    if kind in ("follow_up", "revisit", "escalation", "birthday", "overdue", "contact_due",
                "manager_revisit", "celebration", "verify", "clean_up", "pool_warning"):
        rows.append((Button(say(start, lang), f"rem:{reminder_id}.go"),))
    rows.append((Button(say("snooze_day", lang), f"rem:{reminder_id}.1d"),
                 Button(say("snooze_week", lang), f"rem:{reminder_id}.7d")))
    rows.append((Button(say("done", lang), f"rem:{reminder_id}.ok"),))
    return tuple(rows)


def note_text(note: Any, lang: str) -> str:
    return pick(note, lang) if note else ""
