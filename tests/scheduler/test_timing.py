"""Local times, quiet hours and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scheduler.policy import QuietHours
from scheduler.timing import (
    MORNING,
    add_duration,
    at_local,
    in_quiet_hours,
    next_birthday,
    outside_quiet_hours,
)

QUIET = QuietHours(start=time(21, 0), end=time(8, 30))
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Sydney",
         "America/Sao_Paulo", "UTC"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_reminder_due_at_night_goes_out_when_the_working_day_starts() -> None:
    night = at_local(date(2026, 11, 23), time(23, 15), SHANGHAI)
    assert outside_quiet_hours(night, SHANGHAI, QUIET) == at_local(
        date(2026, 11, 24), time(8, 30), SHANGHAI)
    early = at_local(date(2026, 11, 24), time(6, 0), SHANGHAI)
    assert outside_quiet_hours(early, SHANGHAI, QUIET) == at_local(
        date(2026, 11, 24), time(8, 30), SHANGHAI)
    noon = at_local(date(2026, 11, 24), time(12, 0), SHANGHAI)
    assert outside_quiet_hours(noon, SHANGHAI, QUIET) == noon


def test_a_month_is_a_calendar_month() -> None:
    start = at_local(date(2026, 1, 31), time(10, 0), SHANGHAI)
    assert add_duration(start, "1m", SHANGHAI).astimezone(SHANGHAI).date() == date(2026, 2, 28)
    assert add_duration(start, "2w", SHANGHAI).astimezone(SHANGHAI).date() == date(2026, 2, 14)


def test_durations_keep_the_local_time_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    friday = at_local(date(2026, 3, 27), time(10, 0), berlin)  # clocks go forward on the 29th
    later = add_duration(friday, "3d", berlin).astimezone(berlin)
    assert (later.date(), later.time()) == (date(2026, 3, 30), time(10, 0))
    assert later.astimezone(UTC) - friday == timedelta(days=3, hours=-1)  # an hour was skipped


def test_birthdays_next_occurrence() -> None:
    assert next_birthday(date(1980, 12, 1), date(2026, 11, 23)) == date(2026, 12, 1)
    assert next_birthday(date(1980, 3, 1), date(2026, 11, 23)) == date(2027, 3, 1)
    assert next_birthday(date(1984, 2, 29), date(2027, 1, 1)) == date(2027, 2, 28)


@given(zone=st.sampled_from(ZONES),
       day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
       clock=st.times())
def test_a_local_time_is_kept_exactly_unless_the_clock_skips_it(zone: str, day: date,
                                                              clock: time) -> None:
    tz = ZoneInfo(zone)
    moment = at_local(day, clock, tz)
    local = moment.astimezone(tz)
    naive = datetime.combine(day, clock)
    if local.replace(tzinfo=None) != naive:  # the time does not exist that day (spring forward)
        gap = local.replace(tzinfo=None) - naive
        assert timedelta(0) < gap <= timedelta(hours=1)
    else:
        assert local.replace(tzinfo=None) == naive


@given(zone=st.sampled_from(ZONES),
       # hypothesis wants naive bounds; the zone comes from `timezones`
       instant=st.datetimes(min_value=datetime(2026, 1, 1),  # noqa: DTZ001
                            max_value=datetime(2028, 12, 31),  # noqa: DTZ001
                            timezones=st.just(UTC)))
def test_every_reminder_fires_once_outside_quiet_hours(zone: str, instant: datetime) -> None:
    """A dispatcher waking every minute sends a reminder once, at its intended local time."""
    tz = ZoneInfo(zone)
    deliver = outside_quiet_hours(instant, tz, QUIET)
    assert deliver >= instant
    assert not in_quiet_hours(deliver, tz, QUIET)
    if in_quiet_hours(instant, tz, QUIET):
        assert deliver.astimezone(tz).time() == QUIET.end  # when the working day starts
        assert deliver - instant <= timedelta(hours=12, minutes=31)
    else:
        assert deliver == instant
    ticks = [instant.replace(second=0, microsecond=0) + timedelta(minutes=m) for m in range(
        0, int((deliver - instant).total_seconds() // 60) + 3)]
    fired = [t for t in ticks if t >= deliver][:1]  # the first wake-up at or after it sends it
    assert len(fired) == 1 and fired[0] - deliver < timedelta(minutes=1)


@given(zone=st.sampled_from(ZONES), day=st.dates(min_value=date(2026, 1, 1),
                                                 max_value=date(2028, 12, 31)))
def test_morning_reminders_are_at_nine_local_every_day_of_the_year(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    assert at_local(day, MORNING, tz).astimezone(tz).time() == MORNING  # 09:00 always exists
