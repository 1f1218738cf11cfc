"""Every sentence the engine says to a respondent, in Chinese and English."""

from __future__ import annotations

from typing import Any

from flows.i18n import from_catalog

MESSAGES: dict[str, dict[str, str]] = {
    # invalid answers: say what was wrong and what is expected
    "empty": {"zh": "请先输入回答。", "en": "Please type an answer."},
    "empty_optional": {
        "zh": "请先输入回答，或发送 /skip 跳过此题。",
        "en": "Please type an answer, or send /skip to skip this question.",
    },
    "too_short": {
        "zh": "回答太短：至少需要 {min} 个字（现在是 {got} 个）。",
        "en": "That is too short: please write at least {min} characters (you wrote {got}).",
    },
    "too_long": {
        "zh": "回答太长：最多 {max} 个字（现在是 {got} 个），请精简后再发。",
        "en": "That is too long: please keep it to {max} characters (you wrote {got}).",
    },
    "too_many_others": {
        "zh": "“其他”里最多写 {max} 项（现在是 {got} 项），请选列出的选项，或把其余的合成一句话。",
        "en": "Please name at most {max} things under “Other” (you named {got}): pick the "
              "listed options, or put the rest in one phrase.",
    },
    "pattern": {"zh": "格式不对，请检查后重新输入。", "en": "That is not in the expected format."},
    "number": {
        "zh": "请输入一个数字，例如 120 或 3.5（也可以写 50万）。",
        "en": "Please enter a number, such as 120 or 3.5.",
    },
    "integer": {
        "zh": "请输入一个整数，例如 120。",
        "en": "Please enter a whole number, such as 120.",
    },
    "number_range": {
        "zh": "请输入 {min} 到 {max} 之间的{kind}。",
        "en": "Please enter a {kind} between {min} and {max}.",
    },
    "number_min": {"zh": "请输入不小于 {min} 的{kind}。",
                   "en": "Please enter a {kind} of at least {min}."},
    "number_max": {"zh": "请输入不大于 {max} 的{kind}。",
                   "en": "Please enter a {kind} of at most {max}."},
    "kind_number": {"zh": "数字", "en": "number"},
    "kind_integer": {"zh": "整数", "en": "whole number"},
    "one_number": {
        "zh": "请只填一个数字（不是几个数或一个范围；范围请填中间值，例如 150）。",
        "en": "Please give one number (not several, nor a range; for a range, give its "
        "middle, such as 150).",
    },
    "scale": {
        "zh": "请选择 {min} 到 {max} 之间的一个数字（{min} = {min_label}，{max} = {max_label}）。",
        "en": "Please choose a number from {min} to {max} ({min} = {min_label}, "
        "{max} = {max_label}).",
    },
    "choice": {
        "zh": "没有找到“{got}”这个选项。请回复选项编号（1–{n}）或选项文字。",
        "en": "“{got}” is not one of the options. Reply with the option's number (1–{n}) "
        "or its text.",
    },
    "multi_choice": {
        "zh": "没有找到“{got}”这个选项。请回复一个或多个选项编号（1–{n}），用逗号分隔，例如 1,3。",
        "en": "“{got}” is not one of the options. Reply with one or more option numbers "
        "(1–{n}) separated by commas, such as 1,3.",
    },
    "yes_no": {"zh": "请回答“是”或“否”。", "en": "Please answer yes or no."},
    "date": {
        "zh": "请输入日期，例如 2026-12-01、12月1日、明天 或 3天后。",
        "en": "Please enter a date such as 2026-12-01, tomorrow, or in 3 days.",
    },
    "date_range": {
        "zh": "请输入 {min} 到 {max} 之间的日期。",
        "en": "Please enter a date between {min} and {max}.",
    },
    "date_min": {"zh": "日期不能早于 {min}。", "en": "Please enter a date on or after {min}."},
    "date_max": {"zh": "日期不能晚于 {max}。", "en": "Please enter a date on or before {max}."},
    "phone": {
        "zh": "请输入电话号码：11 位手机号（如 138 0013 8000）、带区号的座机（如 010-12345678）"
        "或带国家码的号码（如 +44 20 7946 0000）。",
        "en": "Please enter a phone number: an 11-digit mobile (such as 138 0013 8000), a "
        "landline with area code (such as 010-12345678), or +country code and number.",
    },
    "email": {
        "zh": "请输入电子邮箱，例如 name@example.com。",
        "en": "Please enter an email address such as name@example.com.",
    },
    "other_text": {"zh": "请简单说明“其他”具体是什么：", "en": "Please say what “Other” is:"},
    "confirm": {
        "zh": "确认一下：{question}\n您的回答是：{answer}\n对吗？（是/否）",
        "en": "Let me confirm: {question}\nYou said: {answer}\nIs that right? (yes/no)",
    },
    "confirm_invalid": {
        "zh": "请回答“是”确认，或“否”重新填写。",
        "en": "Please answer yes to confirm, or no to answer again.",
    },
    "pick_one": {"zh": "请至少选择一项。", "en": "Please pick at least one option."},
    "cannot_skip": {
        "zh": "这道题是必答题，不能跳过。",
        "en": "This question is required and cannot be skipped.",
    },
    "cannot_back": {"zh": "已经是第一题了。", "en": "This is the first question already."},
    "other_label": {"zh": "其他", "en": "Other"},
    "yes": {"zh": "是", "en": "Yes"},
    "no": {"zh": "否", "en": "No"},
    "skipped": {"zh": "（已跳过）", "en": "(skipped)"},
    "flow_changed": {
        "zh": "问卷已更新，{dropped} 个之前的回答不再适用，已移除。",
        "en": "The questionnaire was updated; {dropped} earlier answer(s) no longer apply "
        "and were removed.",
    },
    "known": {"zh": "{question}\n我们记录的是：{answer}。还是这样吗？",
              "en": "{question}\nWe have: {answer}. Is that still right?"},
    "keep": {"zh": "保持不变", "en": "Keep it"},
    "change": {"zh": "修改", "en": "Change it"},
    "moved_on": {
        "zh": "这份问卷已在另一个窗口继续作答，刚才的输入没有保存。当前进度如下：",
        "en": "This interview moved on in another window, so that input was not saved. "
        "Here is where it stands:",
    },
    "other_inline": {"zh": "请把内容一起写上，例如“其他：自建系统”。",
                     "en": "Please write what it is as well, e.g. \"Other: our own system\"."},
    "correct_closed": {
        "zh": "更正的期限（完成后 24 小时，至 {until}）已过，回答没有修改。"
        "如需更正，请直接联系您的对接人。",
        "en": "The time for corrections (24 hours after finishing, until {until}) has passed, "
        "so nothing was changed. To correct an answer now, please tell your contact directly.",
    },
    "correct_which": {
        "zh": "这个回答不能在这里更正（只能更正已回答、且不影响后续问题的回答）。",
        "en": "That answer cannot be corrected here (only answers given that no later "
        "question depends on).",
    },
    "correct_not_finished": {"zh": "问卷还没有完成：请直接在问卷里修改（/back 返回上一题）。",
                             "en": "The questionnaire is not finished yet: change the answer "
                             "in it (/back goes to the previous question)."},
    "progress": {"zh": "第 {n} 题，共 {m} 题", "en": "Question {n} of {m}"},
    "progress_at_most": {"zh": "第 {n} 题，最多 {m} 题", "en": "Question {n} of at most {m}"},
}


def message(key: str, lang: str, **params: Any) -> str:
    return from_catalog(MESSAGES, key, lang, **params)


def progress(number: int, total: int, exact: bool, lang: str, short: bool = False) -> str:
    """"Question 3 of 12" (or "of at most 14" while later questions depend on answers);
    `short`: "3/12", "3/≤14"."""
    if short:
        return f"{number}/{total}" if exact else f"{number}/≤{total}"
    return message("progress" if exact else "progress_at_most", lang, n=number, m=total)
