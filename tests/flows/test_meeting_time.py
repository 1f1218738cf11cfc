"""/meet's times as reps type them, in Chinese and English (flows/meeting_time.py), read
from a fixed moment: Friday 2026-12-04 10:00 in Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from flows.meeting_time import MeetingTime, MeetingTimeError, parse_meeting_time

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday


@pytest.mark.parametrize(("text", "day", "at"), [
    ("明天下午3点", date(2026, 12, 5), time(15, 0)),
    ("明天 15:00", date(2026, 12, 5), time(15, 0)),
    ("后天上午10点半", date(2026, 12, 6), time(10, 30)),
    ("下周二上午十点", date(2026, 12, 8), time(10, 0)),
    ("周三10:00", date(2026, 12, 9), time(10, 0)),  # the next Wednesday
    ("星期五 下午两点", date(2026, 12, 4), time(14, 0)),  # today, still ahead
    ("周五 9:00", date(2026, 12, 11), time(9, 0)),  # today's 9:00 has passed: none of this
    ("12月10日 14:30", date(2026, 12, 10), time(14, 30)),
    ("1月5号下午4点", date(2027, 1, 5), time(16, 0)),  # January: next year's
    ("2026-12-10 14:30", date(2026, 12, 10), time(14, 30)),
    ("2026/12/10", date(2026, 12, 10), None),  # no time: the whole day
    ("next tue 10:00", date(2026, 12, 8), time(10, 0)),
    ("Next Tuesday at 10am", date(2026, 12, 8), time(10, 0)),
    ("tomorrow 3pm", date(2026, 12, 5), time(15, 0)),
    ("tomorrow at 3:30 pm", date(2026, 12, 5), time(15, 30)),
    ("thu noon", date(2026, 12, 10), time(12, 0)),
    ("中午1点", date(2026, 12, 4), time(13, 0)),
    ("in 3 days", date(2026, 12, 7), None),
    ("3天后 上午9点", date(2026, 12, 7), time(9, 0)),
    ("16:45", date(2026, 12, 4), time(16, 45)),  # a time alone: today
    ("１２月１０日　１４：３０", date(2026, 12, 10), time(14, 30)),  # full-width digits
])
def test_times_as_reps_type_them(text: str, day: date, at: time | None) -> None:
    if text == "周五 9:00":  # "周五" is today, and 9:00 has passed today: said so
        with pytest.raises(MeetingTimeError) as error:
            parse_meeting_time(text, NOW)
        assert error.value.key == "meet_time_past"
        assert error.value.params["when"] == "2026-12-04 09:00"
        return
    assert parse_meeting_time(text, NOW) == MeetingTime(day, at)


@pytest.mark.parametrize(("text", "key", "words"), [
    ("明天下午3点 带上报价", "meet_time_unknown", "带上报价"),  # nothing is guessed at
    ("soon", "meet_time_unknown", "soon"),
    ("", "meet_time_unknown", ""),
    ("2月30日 10:00", "meet_time_bad", "2月30日"),
    ("明天25:00", "meet_time_bad", "25:00"),
])
def test_what_is_not_understood_is_named(text: str, key: str, words: str) -> None:
    with pytest.raises(MeetingTimeError) as error:
        parse_meeting_time(text, NOW)
    assert error.value.key == key
    assert error.value.params["words"] == words
    assert "next tue 10:00" in str(error.value.params["examples"])


def test_the_past_and_the_far_future_are_refused() -> None:
    with pytest.raises(MeetingTimeError) as error:
        parse_meeting_time("2026-12-01 10:00", NOW)
    assert error.value.key == "meet_time_past"
    with pytest.raises(MeetingTimeError) as error:
        parse_meeting_time("2028-01-01", NOW)
    assert error.value.key == "meet_time_far"
