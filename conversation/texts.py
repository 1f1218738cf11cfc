"""Everything the bot itself says (the questions come from the flows), in Chinese and English."""

from __future__ import annotations

from typing import Any

from flows.i18n import from_catalog

TEXTS: dict[str, dict[str, str]] = {
    "refuse": {
        "zh": "您好！这个机器人只为受邀客户和已登记的销售团队成员服务。如果您收到了邀请链接，请直接点击链接打开。",
        "en": "Hello! This bot serves invited customers and registered sales staff only. "
              "If you received an invitation link, please open it directly.",
    },
    "help_title": {"zh": "可用命令：", "en": "Commands:"},
    "refuse_staff_chat": {
        "zh": "您好！这个机器人供已登记的销售团队成员使用，您还没有登记。请把下面这行发给管理员，"
              "由管理员为您登记（interview-bot users add {option} …）：\n{account}",
        "en": "Hello! This bot is for registered members of the sales team, and you are not "
              "registered yet. Send this line to an admin, who registers you with "
              "`interview-bot users add {option} …`:\n{account}",
    },
    "help_customer": {
        "zh": "直接回复问题即可。/back 返回上一题，/skip 跳过选答题，/status 查看进度，/lang 切换语言。",
        "en": "Just reply to the questions. /back goes to the previous question, /skip skips "
              "an optional one, /status shows progress, /lang changes the language.",
    },
    "no_interview": {"zh": "当前没有进行中的问卷。", "en": "There is no interview in progress."},
    "status": {"zh": "“{flow}”：{progress}。", "en": "“{flow}”: {progress}."},
    "cancelled": {"zh": "已结束。已给出的回答仍然保存。", "en": "Stopped. The answers given so far are kept."},
    "choose_language": {"zh": "请选择语言：", "en": "Choose a language:"},
    "language_set": {"zh": "好的，之后用中文。", "en": "Done: English from now on."},
    "invalid_link": {
        "zh": "这个链接无效或已过期。请联系邀请您的销售代表获取新链接。",
        "en": "This link is not valid or has expired. Please ask the person who invited you "
              "for a new one.",
    },
    "already_done": {"zh": "您已经完成了这份问卷，谢谢！", "en": "You have already completed this "
                     "questionnaire. Thank you!"},
    "withdraw_sentence": {"zh": "您可以随时发送 /forget 撤回同意。",
                          "en": "You can withdraw at any time with /forget."},
    "our_team": {"zh": "我们的销售团队", "en": "Our sales team"},
    "consent": {
        "zh": "您好！{inviter} 邀请您在会面前填写“{flow}”。\n\n目的：{purpose}\n"
              "谁能看到：您的回答只保存在本公司的客户系统中，仅负责您的销售代表及其主管可以查看。\n"
              "您可以随时发送 /forget 撤回同意。\n\n是否同意开始？",
        "en": "Hello! {inviter} invites you to fill in “{flow}” before your meeting.\n\n"
              "Why: {purpose}\nWho sees your answers: they are kept in our company's customer "
              "system; only your account manager and their manager can read them.\n"
              "You can withdraw at any time with /forget.\n\nDo you agree to start?",
    },
    "agree": {"zh": "同意并开始", "en": "I agree, start"},
    "decline": {"zh": "不同意", "en": "No, thanks"},
    "declined": {"zh": "好的，我们不会保存任何回答。如果改变主意，可以再次打开链接。",
                 "en": "Understood: nothing will be stored. If you change your mind, open the "
                       "link again."},
    "text_expected": {"zh": "这里只能读取文字。请用文字回复上面的问题（或点按钮）。",
                      "en": "Only text can be read here. Please answer the question above in "
                            "words (or press a button)."},
    "stale_button": {"zh": "这个按钮已失效。", "en": "This button is no longer active."},
    "button_expired": {"zh": "（已失效）", "en": "(no longer active)"},
    "done_button": {"zh": "完成 ✓", "en": "Done ✓"},
    "skip_button": {"zh": "跳过", "en": "Skip"},
    "back_button": {"zh": "◀ 上一题", "en": "◀ Back"},
    "share_phone": {"zh": "📱 分享我的手机号", "en": "📱 Share my phone number"},
    "pick_one": {"zh": "请至少选择一项，然后点“完成”。", "en": "Pick at least one option, then Done."},
    "thanks_customer": {"zh": "谢谢您！问卷已完成，我们会在会面时用到这些信息。",
                        "en": "Thank you! The questionnaire is complete; we will use it to "
                              "prepare the meeting."},
    "thanks_rep": {"zh": "复盘已保存。", "en": "Debrief saved."},
    "scheduled_follow_up": {"zh": "已安排跟进：{when}（提醒 {owner}）",
                            "en": "Follow-up scheduled: {when} (reminding {owner})"},
    "scheduled_revisit": {"zh": "下次回访：{day}", "en": "Next revisit: {day}"},
    "co_owners": {"zh": "共同负责", "en": "Co-owners"},
    "dashboard_link": {"zh": "🔗 网页看板登录链接（10 分钟内有效，只能用一次，请勿转发）：\n{link}",
                       "en": "🔗 Your sign-in link to the web dashboard (valid 10 minutes, "
                             "once; do not forward it):\n{link}"},
    "consent_changed": {"zh": "📄 我们的说明自您上次同意后有了更新，请阅读后重新确认；确认前不会记录您的回答。",
                        "en": "📄 Our notice has changed since you agreed to it. Please read "
                              "it and agree again; no answer is recorded until you do."},
    "record_ambiguous": {"zh": "“{name}”对应多个客户：{found}。请用 #编号。",
                         "en": "“{name}” matches several customers: {found}. Use the #id."},
    "record_unknown": {"zh": "没有找到客户“{name}”。", "en": "There is no customer “{name}”."},
    "merge_usage": {"zh": "用法：/merge 重复的客户 保留的客户（名称、拼音或 #编号，例如 /merge #12 #3）。重复记录的访谈、回答、联系人、备注和提醒都会转到保留的客户。",
                    "en": "Usage: /merge <duplicate> <record to keep> (name, pinyin or #id, such "
                          "as /merge #12 #3). The duplicate's interviews, answers, contacts, "
                          "notes and reminders move to the record kept."},
    "coowner_usage": {"zh": "用法：/coowner 客户 销售的Telegram数字ID（前面加 - 表示取消），例如 /coowner 华东精密 123456",
                      "en": "Usage: /coowner <customer> <rep's Telegram id> (a leading - "
                            "removes them), such as /coowner Acme 123456"},
    "coowner_not_team": {"zh": "Telegram ID {id} 不是您团队中的在职成员。",
                         "en": "Telegram id {id} is not an active member of your team."},
    "coowner_added": {"zh": "{name} 现在和负责人一起负责 {customer}：提醒会发给两人。",
                      "en": "{name} now co-owns {customer}: its reminders go to both."},
    "coowner_already": {"zh": "{name} 已经是 {customer} 的共同负责人。",
                        "en": "{name} already co-owns {customer}."},
    "coowner_is_owner": {"zh": "{name} 就是 {customer} 的负责人。", "en": "{name} owns {customer}."},
    "coowner_removed": {"zh": "{name} 不再共同负责 {customer}。",
                        "en": "{name} no longer co-owns {customer}."},
    "coowner_was_not": {"zh": "{name} 不是 {customer} 的共同负责人。",
                        "en": "{name} was not a co-owner of {customer}."},
    "scheduled_clean_up": {"zh": "这些回答还不够具体：{fields}。请在 24 小时内清理，稍后会收到提醒。",
                           "en": "Still vague: {fields}. Please make them concrete within 24 "
                                 "hours; a reminder will follow."},
    "scheduled_nothing": {"zh": "没有安排新的跟进。", "en": "No follow-up was asked for."},
    "no_owner": {"zh": "没有安排跟进：这个客户还没有负责人。请销售用 /debrief 认领，或主管用 "
                       "/reassign（命令行：customers reassign）指定负责人，再做一次复盘。",
                 "en": "No follow-up could be scheduled: nobody owns this customer yet. A rep "
                       "claims it with /debrief, or a manager assigns it (/reassign, or "
                       "customers reassign on the command line); then debrief again."},
    "rep_notified": {"zh": "{customer} 已完成“{flow}”：\n\n{summary}",
                     "en": "{customer} completed “{flow}”:\n\n{summary}"},
    "questionnaire_corrected": {
        "zh": "✏️ {customer} 更正了“{flow}”中的一个回答：\n• {question}\n  原来：{before}\n  现在：{after}",
        "en": "✏️ {customer} corrected an answer in “{flow}”:\n• {question}\n  was: {before}\n"
              "  now: {after}"},
    "correct_nothing": {"zh": "您还没有完成过问卷，没有可以更正的回答。",
                        "en": "You have not finished a questionnaire, so there is nothing to "
                        "correct."},
    "correct_list": {"zh": "完成后 24 小时内可以更正以下回答：\n{lines}\n\n发送 /correct 编号 新的回答，"
                     "例如：/correct 2 每周约 20 小时",
                     "en": "Within 24 hours of finishing you can correct these answers:\n{lines}"
                     "\n\nSend /correct, the number and the new answer, e.g. /correct 2 about "
                     "20 hours a week"},
    "correct_usage": {"zh": "请写成：/correct 编号 新的回答（编号为 1–{count}）。发送 /correct 查看编号。",
                      "en": "Please write: /correct, a number from 1 to {count}, then the new "
                      "answer. Send /correct to see the numbers."},
    "corrected": {"zh": "已更正：{question}\n原来：{before}\n现在：{after}\n您的对接人会收到通知。",
                  "en": "Corrected: {question}\nwas: {before}\nnow: {after}\nYour contact has "
                  "been told."},
    "correct_hint": {"zh": "如有回答需要更正，24 小时内发送 /correct。",
                     "en": "To correct an answer, send /correct within 24 hours."},
    "needs_customer": {"zh": "请在命令后写上客户名，例如：{command} 上海示例公司",
                       "en": "Add the customer's name, for example: {command} Acme Ltd"},
    "name_too_long": {"zh": "公司名称最多 {limit} 个字符，您发送了 {length} 个。",
                      "en": "A company name can have at most {limit} characters; yours has "
                            "{length}."},
    "not_found_create": {"zh": "没有找到客户“{name}”。要新建吗？",
                         "en": "There is no customer “{name}”. Create it?"},
    "create_button": {"zh": "新建“{name}”", "en": "Create “{name}”"},
    "pick_customer": {"zh": "有多个客户匹配“{name}”，请选择：",
                      "en": "Several customers match “{name}”; pick one:"},
    "note_usage": {"zh": "请这样写：/note 客户 备注内容（{problem}）",
                   "en": "Write it as: /note customer your note ({problem})"},
    "note_saved": {"zh": "已为 {customer} 记下备注。", "en": "Note saved on {customer}."},
    "edit_usage": {"zh": "请这样写：/edit 客户 字段 新值，例如 /edit 华东精密 电话 138 0013 8000",
                   "en": "Write it as: /edit customer field value, e.g. /edit Acme phone "
                   "138 0013 8000"},
    "edit_saved": {"zh": "已更新 {customer} 的{field}：{value}",
                   "en": "{customer}: {field} is now {value}"},
    "revisit_replanned": {"zh": "下次回访改为 {day}。", "en": "Next revisit moved to {day}."},
    "today_title": {"zh": "📋 今天要做的（{count} 项，逾期的在前）：",
                    "en": "📋 Due today ({count}, overdue first):"},
    "week_title": {"zh": "📋 本周要做的（{count} 项，逾期的在前）：",
                   "en": "📋 Due this week ({count}, overdue first):"},
    "agenda_warnings": {"zh": "⚠️ 你的客户有 {count} 条风险提醒：",
                        "en": "⚠️ {count} warning(s) on your customers:"},
    "agenda_empty": {"zh": "今天没有待办：没有到期的跟进、回访或生日，也没有未完成的复盘。",
                     "en": "Nothing due: no follow-up, revisit or birthday, no unfinished "
                           "debrief."},
    "agenda_line": {"zh": "{icon} {what}：{customer}（{day}）{late}",
                    "en": "{icon} {what}: {customer} ({day}){late}"},
    "agenda_overdue": {"zh": " ⚠️ 已逾期", "en": " ⚠️ overdue"},
    "agenda_follow_up": {"zh": "跟进", "en": "Follow up"},
    "agenda_revisit": {"zh": "回访", "en": "Revisit"},
    "agenda_birthday": {"zh": "生日", "en": "Birthday"},
    "agenda_escalation": {"zh": "逾期升级", "en": "Escalated"},
    "agenda_contact_due": {"zh": "联系重点客户", "en": "Key-account contact"},
    "agenda_overdue_team": {"zh": "团队逾期", "en": "Team overdue"},
    "agenda_nudge": {"zh": "继续未完成的访谈", "en": "Unfinished interview"},
    "agenda_invite_unanswered": {"zh": "问卷未完成", "en": "Questionnaire not done"},
    "agenda_digest": {"zh": "逾期汇总", "en": "Overdue digest"},
    "agenda_weekly_report": {"zh": "周报", "en": "Weekly report"},
    "agenda_manager_revisit": {"zh": "主管季度回访", "en": "Your quarterly revisit"},
    "agenda_celebration": {"zh": "庆典问候", "en": "Celebration"},
    "agenda_verify": {"zh": "季度核实", "en": "Quarterly check"},
    "agenda_clean_up": {"zh": "清理记录", "en": "Clean up the record"},
    "agenda_open": {"zh": "📝 未完成的复盘：{customer}（{day} 停下）",
                    "en": "📝 Unfinished debrief: {customer} (stopped {day})"},
    "continue_button": {"zh": "继续", "en": "Continue"},
    "resume_button": {"zh": "↩️ 接着上次停下的（已答 {count} 题）",
                      "en": "↩️ Go on where you stopped ({count} answered)"},
    "not_found": {"zh": "没有找到客户“{name}”。", "en": "There is no customer “{name}”."},
    "closest": {"zh": "您是不是要找：{names}？", "en": "Did you mean: {names}?"},
    "not_yours": {"zh": "您无权查看或操作这个客户。", "en": "You may not see or act on this customer."},
    "invite_link": {"zh": "请把这个链接发给 {customer} 的联系人（{days} 天内有效，只能由第一个打开的人使用）：\n{link}",
                    "en": "Send this link to your contact at {customer} (valid {days} days; it "
                          "binds to the first person who opens it):\n{link}"},
    "invite_web_only": {"zh": "请把这个网页链接发给 {customer} 的联系人（{days} 天内有效，在第一个打开它的浏览器里使用）：\n{link}",
                        "en": "Send this web link to your contact at {customer} (valid {days} "
                              "days; it binds to the first browser that opens it):\n{link}"},
    "invite_web_link": {"zh": "对方没有 Telegram（例如用微信）？发这个网页链接，同一份问卷，先打开的一方有效：\n{link}",
                        "en": "No Telegram on their side (WeChat, say)? The same questionnaire as a "
                              "web page; whichever link is opened first counts:\n{link}"},
    "customers_none": {"zh": "您还没有客户。", "en": "You have no customers yet."},
    "customers_list": {"zh": "您的客户：", "en": "Your customers:"},
    "user_added": {"zh": "已添加 {name}（{role}）。", "en": "Added {name} ({role})."},
    "adduser_usage": {"zh": "用法：/adduser Telegram数字ID rep|manager|admin 姓名",
                      "en": "Usage: /adduser <numeric telegram id> <rep|manager|admin> <name>"},
    "only_roles": {"zh": "只有{roles}可以使用 /{command}。",
                   "en": "Only {roles} may use /{command}."},
    "export_usage": {"zh": "看不懂“{word}”。用法：/export [xlsx|csv|json] [问卷ID：{flows}] [起始日期 YYYY-MM-DD]，例如 /export xlsx post_call 2026-11-01",
                     "en": "I don't understand “{word}”. Usage: /export [xlsx|csv|json] [flow id: "
                           "{flows}] [since YYYY-MM-DD], for example /export xlsx post_call "
                           "2026-11-01"},
    "export_reason": {"zh": "导出会把客户资料带出系统，需要登记理由。请在命令后写明用途：/export [xlsx|csv|json] [问卷ID：{flows}] [起始日期] 理由，例如 /export xlsx 季度经营分析",
                      "en": "An export takes customer data out of the system, so it needs a "
                            "reason on record. Add it after the options: /export [xlsx|csv|json] "
                            "[flow id: {flows}] [since YYYY-MM-DD] <reason>, for example "
                            "/export xlsx quarterly business review"},
    "export_reason_short": {"zh": "理由“{reason}”太短：请用几个字说明为什么导出（至少 {least} 个字），例如 /export xlsx 季度经营分析",
                            "en": "The reason “{reason}” is too short: say in a few words why "
                                  "the data is copied out (at least {least} characters), for "
                                  "example /export xlsx quarterly business review"},
    "export_caption": {"zh": "导出：{interviews} 份访谈，{customers} 家客户，{contacts} 位联系人。",
                       "en": "Export: {interviews} interview(s), {customers} customer(s), "
                             "{contacts} contact(s)."},
    "export_too_big": {"zh": "导出文件有 {size} MB，超过 Telegram 的 {limit} MB 上限。请缩小范围（问卷或起始日期），或在服务器上运行 interview-bot export。",
                       "en": "The export is {size} MB, over Telegram's {limit} MB limit. Narrow "
                             "it (a flow or a start date) or run `interview-bot export` on the "
                             "server."},
    "report_usage": {"zh": "天数应为 1 到 366 之间的整数，例如 /report 30。",
                     "en": "Days must be a whole number from 1 to 366, for example /report 30."},
    "forgotten": {"zh": "已撤回同意。我们不会再向您发送问题或提醒。",
                  "en": "Consent withdrawn. We will send you no more questions or reminders."},
    "setrole_usage": {"zh": "用法：/setrole Telegram数字ID rep|manager|admin",
                      "en": "Usage: /setrole <numeric telegram id> <rep|manager|admin>"},
    "reassign_usage": {"zh": "用法：/reassign 原负责人Telegram数字ID 新负责人Telegram数字ID",
                       "en": "Usage: /reassign <telegram id of the current owner> <telegram id "
                             "of the new owner>"},
    "no_such_user": {"zh": "没有 Telegram ID 为“{who}”的在职人员（请写数字 ID）。",
                     "en": "No active staff member has Telegram id “{who}” (write the numeric "
                           "id)."},
    "role_set": {"zh": "{name} 的角色已改为 {role}。", "en": "{name} is now {role}."},
    "deactivate_owns": {"zh": "{name} 还负责 {count} 个客户。请先转交：/reassign {id} 接手人的ID",
                        "en": "{name} still owns {count} customer(s). Hand them over first: "
                              "/reassign {id} <new owner's id>"},
    "deactivated": {"zh": "已停用 {name}，其待发提醒已取消。",
                    "en": "{name} is deactivated; their pending reminders are cancelled."},
    "reassign_same": {"zh": "原负责人和新负责人是同一个人。",
                      "en": "The current and the new owner are the same person."},
    "not_your_team": {"zh": "两人都必须在您的团队里。", "en": "Both people must be in your team."},
    "reassigned": {"zh": "已把 {source} 的 {count} 个客户转给 {target}，连同 {reminders} 条提醒和 {invites} 个未完成的邀请。两人都会收到通知。",
                   "en": "Moved {count} customer(s) from {source} to {target}, with {reminders} "
                         "reminder(s) and {invites} open invite(s). Both are told."},
    "history_title": {"zh": "🔎 {customer} 的访问记录（最近 {count} 条）：",
                      "en": "🔎 Access history of {customer} (latest {count}):"},
    "the_customer": {"zh": "客户本人", "en": "the customer"},
    "last_contact": {"zh": "最近联系", "en": "Last contact"},
    "tags": {"zh": "标签", "en": "Tags"},
    "saved_answer": {"zh": "✓ {answer}", "en": "✓ {answer}"},
    "summary_title": {"zh": "您的回答：", "en": "Your answers:"},
}

def consent_notice(lang: str, inviter: str | None, flow_title: str, changed: bool) -> str:
    """The notice a customer agrees to, the same in chat and on the web page: who invites
    (our sales team, for a link made on the command line), why, who sees the answers."""
    text = say("consent", lang, inviter=inviter or say("our_team", lang), flow=flow_title,
               purpose=PURPOSE[lang])
    return say("consent_changed", lang) + "\n\n" + text if changed else text


# The consent notice's version: change it whenever the notice ("consent" and PURPOSE) says
# something new; everyone who agreed to an older one is asked again before answering more.
CONSENT_VERSION = "2026-11"
PURPOSE = {
    "zh": "了解贵公司的现状和需求，让会面更有针对性，节省您的时间。",
    "en": "to understand your situation and needs so the meeting is focused on what matters "
          "to you.",
}


def say(key: str, lang: str, **params: Any) -> str:
    return from_catalog(TEXTS, key, lang, **params)
