"""When a meeting is, as a rep types it (/meet): "明天下午3点", "周三10:00", "下周二上午10点半",
"12月10日 14:30", "2026-12-10 14:30", "next tue 10:00", "tomorrow 3pm", "in 3 days". A day
without a time is a meeting that day (its brief comes in the morning); a time without a day
is today. Read in the owner's time zone; nothing else may be left over, so that a word the
parser does not know is reported, never guessed at.

Weekdays: "周三" / "wed" is the next Wednesday (today, if the time is still ahead); "这周三" /
"本周三" / "this wed" is this week's; "下周三" / "next wed" is next week's (weeks start on Monday).

Pure: the caller passes the moment it is now, in the owner's zone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

MAX_AHEAD_DAYS = 366
_T = TypeVar("_T")
EXAMPLES = ("明天下午3点 · 周三10:00 · 12月10日 14:30 · 2026-12-10 14:30 · next tue 10:00 · "
            "tomorrow 3pm")


class MeetingTimeError(ValueError):
    """What was wrong with the time, as a key of the caller's messages and its blanks."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


@dataclass(frozen=True)
class MeetingTime:
    day: date
    at: time | None  # None: no time given (the whole day)

    def moment(self, zone_now: datetime) -> datetime:
        """The start, in the zone of `zone_now` (a whole day starts at midnight)."""
        return datetime.combine(self.day, self.at or time(0), tzinfo=zone_now.tzinfo)


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_WEEKDAYS_CN = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0,
                "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEKDAYS_EN = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_PM = ("下午", "晚上", "傍晚", "pm", "p.m.")
_HALF = r"(?:半|一刻|三刻|(\d{1,2})分?)"
_PART = r"(上午|早上|早晨|中午|下午|晚上|傍晚)?\s*"
_CN_HOUR = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"

DAY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("ymd", r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"),
    ("md_cn", r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
    ("md", r"(?<![\d:])(\d{1,2})[/-](\d{1,2})(?![\d:/-])"),
    ("after_cn", r"(\d{1,3})\s*天(?:以)?后"),
    ("after_en", r"\bin\s+(\d{1,3})\s+days?\b"),
    ("relative", r"大后天|后天|明天|明日|今天|今日|\bday after tomorrow\b|\btomorrow\b|\btmr\b"
                 r"|\btoday\b"),
    ("week_cn", r"(下下|下|这|本)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])"),
    ("week_en", r"\b(next|this)?\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?(?![a-z])"),
)
TIME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("clock", _PART + r"(\d{1,2})\s*[:：]\s*(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?"),
    ("dian", _PART + _CN_HOUR + r"\s*点(?:钟)?\s*" + _HALF + "?"),
    ("ampm", r"(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)"),
    ("noon", r"\bnoon\b|中午(?!\s*[\d零一二两三四五六七八九十])"),
)
FILLER = re.compile(r"(?:\s|[,，.。、]|的|在|于|\bat\b|\bon\b|\bthe\b)*")


def parse_meeting_time(text: str, now: datetime) -> MeetingTime:
    """The meeting `text` names, counted from `now` (aware, in the owner's zone). Raises
    MeetingTimeError: "meet_time_unknown" (with the words not understood), "meet_time_bad"
    (a date or time that does not exist), "meet_time_past", "meet_time_far"."""
    raw = unicodedata.normalize("NFKC", text).strip().lower()
    if not raw:
        raise MeetingTimeError("meet_time_unknown", words=text, examples=EXAMPLES)
    rest, day = _take(raw, DAY_PATTERNS, lambda kind, m: _day(kind, m, now.date()))
    rest, at = _take(rest, TIME_PATTERNS, _time)
    if (day is None and at is None) or FILLER.fullmatch(rest) is None:
        leftover = " ".join(rest.split()) or text.strip()
        raise MeetingTimeError("meet_time_unknown", words=leftover, examples=EXAMPLES)
    if day is None:
        day = now.date()
    found = MeetingTime(day, at)
    if (at is None and day < now.date()) or (at is not None and found.moment(now) <= now):
        raise MeetingTimeError("meet_time_past", when=_shown(found))
    if (day - now.date()).days > MAX_AHEAD_DAYS:
        raise MeetingTimeError("meet_time_far", when=_shown(found), days=MAX_AHEAD_DAYS)
    return found


def _shown(found: MeetingTime) -> str:
    return f"{found.day.isoformat()} {found.at.strftime('%H:%M')}" if found.at \
        else found.day.isoformat()


def _take(text: str, patterns: tuple[tuple[str, str], ...],
          read: Callable[[str, re.Match[str]], _T]) -> tuple[str, _T | None]:
    """The first pattern that matches: its value, and the text without it."""
    for kind, pattern in patterns:
        match = re.search(pattern, text)
        if match is not None:
            value = read(kind, match)
            return text[:match.start()] + " " + text[match.end():], value
    return text, None


def _day(kind: str, m: re.Match[str], today: date) -> date:
    try:
        if kind == "ymd":
            return date(int(m[1]), int(m[2]), int(m[3]))
        if kind in ("md_cn", "md"):
            found = date(today.year, int(m[1]), int(m[2]))
            return found if found >= today else date(today.year + 1, found.month, found.day)
    except ValueError:
        raise MeetingTimeError("meet_time_bad", words=m[0].strip(), examples=EXAMPLES) from None
    if kind in ("after_cn", "after_en"):
        return today + timedelta(days=int(m[1]))
    if kind == "relative":
        word = m[0]
        ahead = 3 if word == "大后天" else 2 if word in ("后天", "day after tomorrow") else \
            0 if word in ("今天", "今日", "today") else 1
        return today + timedelta(days=ahead)
    if kind == "week_cn":
        which = {"下下": "after_next", "下": "next", "这": "this", "本": "this"}.get(m[1] or "")
        return _weekday(_WEEKDAYS_CN[m[2]], which, today)
    which = {"next": "next", "this": "this"}.get(m[1] or "")
    return _weekday(_WEEKDAYS_EN[m[2]], which, today)


def _weekday(weekday: int, which: str | None, today: date) -> date:
    monday = today - timedelta(days=today.weekday())
    if which == "this":
        return monday + timedelta(days=weekday)
    if which == "next":
        return monday + timedelta(days=7 + weekday)
    if which == "after_next":
        return monday + timedelta(days=14 + weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)  # today, or the next one


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (_CN_DIGITS[text[1]] if len(text) > 1 else 0)
    if len(text) == 3 and text[1] == "十":
        return _CN_DIGITS[text[0]] * 10 + _CN_DIGITS[text[2]]
    if len(text) == 2 and text[1] == "十":
        return _CN_DIGITS[text[0]] * 10
    return _CN_DIGITS[text] if len(text) == 1 else 99


def _time(kind: str, m: re.Match[str]) -> time:
    part, minute = None, 0
    if kind == "noon":
        return time(12, 0)
    if kind == "clock":
        part, hour, minute = m[1] or m[4], int(m[2]), int(m[3])
    elif kind == "dian":
        part, hour = m[1], _cn_number(m[2])
        tail = m[0]
        minute = 30 if tail.endswith("半") else 15 if tail.endswith("一刻") else \
            45 if tail.endswith("三刻") else int(m[3]) if m[3] else 0
    else:
        hour, part = int(m[1]), m[2]
    if part in _PM and hour < 12:
        hour += 12
    elif part == "中午" and hour < 6:
        hour += 12  # 中午1点: 13:00
    elif part in ("am", "a.m.") and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise MeetingTimeError("meet_time_bad", words=m[0].strip(), examples=EXAMPLES)
    return time(hour, minute)
