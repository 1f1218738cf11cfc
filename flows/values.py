"""Reading typed values out of free text: numbers, dates, phones, emails, yes/no.

Input arrives from phones with Chinese keyboards, so full-width digits (１２３),
full-width punctuation and Chinese units (50万) are all accepted.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

# direction overrides and isolates (U+202A–202E, U+2066–2069) and the invisible direction
# marks: kept, they make one name read as another ("‮moc.liame" shown as "email.com")
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_NUMBER_LEAD = re.compile(r"^(?:约|大约|大概|差不多|将近|接近|近|about|approx\.?|around|roughly|"
                          r"nearly|~|≈)\s*")
_NUMBER_TAIL = re.compile(r"\s*(?:左右|上下|多|以上|or so|ish)$")
_UNITS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
# what a number may be followed by: currencies, people, and units of time or count
_TRAILING_WORDS = re.compile(
    r"(?:元|块|人民币|人|个人|名|位|家|个|台|套|次|件|rmb|cny|yuan|people|staff|persons?|"
    r"employees|个小时|小时|钟头|hours?|hrs?|h|分钟|minutes?|mins?|天|days?|周|个星期|星期|"
    r"weeks?|个月|月|months?|年|years?|times)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # 1,200 or 12,345.5
_LEADING_CURRENCY = re.compile(r"^(?:¥|￥|\$|rmb|cny)")
_RANGE = re.compile(r"\d\s*(?:-|~|到|至)\s*\d")


def clean_text(raw: str) -> str:
    """Strip surrounding blanks and control characters; keep everything a person typed."""
    return _CONTROL.sub("", raw.replace("\r\n", "\n")).strip()


def fold(raw: str) -> str:
    """Compatibility-fold (full-width to ASCII) and case-fold, for matching."""
    return unicodedata.normalize("NFKC", raw).casefold().strip()


class NotANumber(ValueError):
    def __init__(self, is_range: bool = False) -> None:
        super().__init__("not a number")
        self.is_range = is_range


def parse_number(raw: str) -> Decimal:
    text = fold(raw)
    if _RANGE.search(text):
        raise NotANumber(is_range=True)
    text = _NUMBER_TAIL.sub("", _NUMBER_LEAD.sub("", text))
    text = _LEADING_CURRENCY.sub("", text)
    text = _TRAILING_WORDS.sub("", re.sub(r"[\s_']", "", text))
    text = _NUMBER_TAIL.sub("", text)
    if "," in text:  # thousands separators in groups of three; "1,2,3" is several numbers
        if not _GROUPED.match(text.rstrip("".join(_UNITS))):
            raise NotANumber(is_range=True)
        text = text.replace(",", "")
    factor = 1
    if text and text[-1] in _UNITS:
        factor = _UNITS[text[-1]]
        text = text[:-1]
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise NotANumber()
    try:
        return Decimal(text) * factor
    except InvalidOperation:
        raise NotANumber() from None


def number_value(value: Decimal) -> int | float:
    """The JSON form: an int when whole, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def format_number(value: float | int | Decimal) -> str:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,}"


_YES = {"yes", "y", "yeah", "yep", "true", "ok", "是", "是的", "对", "对的", "有", "好", "好的",
        "嗯", "确定", "确认", "正确", "没错", "可以", "要", "需要", "会", "已经"}
_NO = {"no", "n", "nope", "false", "否", "不", "不是", "没有", "无", "不对", "错", "不要",
       "不需要", "不会", "还没", "还没有", "没"}


def parse_yes_no(raw: str) -> str | None:
    text = fold(raw).rstrip("。.!！")
    if text in _YES:
        return "yes"
    if text in _NO:
        return "no"
    return None


_ISO = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_IN_DAYS = re.compile(r"^(?:in\s*)?(\d{1,4})\s*(?:days?|天)\s*(?:后|以后|later)?$")
_IN_WEEKS = re.compile(r"^(?:in\s*)?(\d{1,3})\s*(?:weeks?|周|个星期|星期)\s*(?:后|以后|later)?$")
_RELATIVE_WORDS = {"today": 0, "今天": 0, "今日": 0, "tomorrow": 1, "明天": 1, "明日": 1,
                   "后天": 2, "yesterday": -1, "昨天": -1, "next week": 7, "下周": 7,
                   "下星期": 7}


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
             "thursday": 3, "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
             "sat": 5, "sunday": 6, "sun": 6}
_ZH_WEEKDAY = re.compile(r"^(下下|下|这|本|this)?\s*(?:个)?(?:周|星期|礼拜)([一二三四五六日天])$")
_EN_WEEKDAY = re.compile(r"^(next|this|on)?\s*([a-z]+)$")


def _weekday(text: str, today: date) -> date | None:
    """下周三 / 周三 / 这周五 / next wednesday / friday: weeks start on Monday; "next" (下)
    is the week after this one, a bare weekday the coming one (today included)."""
    if m := _ZH_WEEKDAY.match(text):
        which, day = m.group(1) or "", _WEEKDAYS[m.group(2)]
    elif (m := _EN_WEEKDAY.match(text)) and m.group(2) in _WEEKDAYS:
        which, day = {"next": "下", "this": "这"}.get(m.group(1) or "", ""), _WEEKDAYS[m.group(2)]
    else:
        return None
    monday = today - timedelta(days=today.weekday())
    if which in ("这", "本", "this"):
        return monday + timedelta(days=day)
    if which in ("下", "下下"):
        return monday + timedelta(weeks=len(which), days=day)
    return today + timedelta(days=(day - today.weekday()) % 7)


def parse_date(raw: str, today: date) -> date | None:
    text = fold(raw)
    if (weekday := _weekday(text, today)) is not None:
        return weekday
    if text in _RELATIVE_WORDS:
        return today + timedelta(days=_RELATIVE_WORDS[text])
    if m := _IN_DAYS.match(text):
        return today + timedelta(days=int(m.group(1)))
    if m := _IN_WEEKS.match(text):
        return today + timedelta(weeks=int(m.group(1)))
    try:
        if m := _ISO.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _MONTH_DAY.match(text):
            return date(today.year, int(m.group(1)), int(m.group(2)))
    except ValueError:
        return None
    return None


_DATE_BOUND = re.compile(r"^today(?:([+-])(\d{1,5})d)?$")


def date_bound(spec: str | float | None, today: date) -> date | None:
    """`today`, `today+30d`, `today-1d` or an ISO date; ValueError for anything else."""
    if spec is None:
        return None
    text = str(spec).strip()
    if m := _DATE_BOUND.match(text):
        days = int(m.group(2) or 0)
        return today + timedelta(days=-days if m.group(1) == "-" else days)
    return date.fromisoformat(text)


_PHONE_NOISE = re.compile(r"^(?:tel:|电话[:：]?|手机[:：]?)|[\s\-().·]")


def parse_phone(raw: str) -> str | None:
    """E.164 form (`+8613800138000`), assuming China (+86) when no country code is given."""
    text = _PHONE_NOISE.sub("", fold(raw))
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
        return text if digits.isdecimal() and 8 <= len(digits) <= 15 else None
    if not text.isdecimal():
        return None
    if len(text) == 11 and re.match(r"^1[3-9]", text):
        return "+86" + text
    if text.startswith("0") and 10 <= len(text) <= 12:
        return "+86" + text[1:]
    return None


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


def parse_email(raw: str) -> str | None:
    text = unicodedata.normalize("NFKC", raw).strip().replace("＠", "@")
    if len(text) > 254 or not _EMAIL.match(text):
        return None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def masked(shown: str) -> str:
    """A stored personal fact as it may be shown to whoever holds an invite link: enough to
    recognise, not to learn ("+86 138****8005", "q***@hd.cn", "钱**")."""
    if "@" in shown:
        local, _, domain = shown.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = sum(c.isdigit() for c in shown)
    if digits >= 7:
        seen, out = 0, []
        for c in shown:
            if c.isdigit():
                seen += 1
                out.append(c if seen <= digits - 8 or seen > digits - 4 else "*")
            else:
                out.append(c)
        return "".join(out)
    return shown[:1] + "*" * max(len(shown) - 1, 1)
