"""Pure time arithmetic for reminders: local days, quiet hours, durations, birthdays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.policy import QuietHours

MORNING = time(9, 0)


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` in `zone`, as UTC. A time that does not exist (spring forward)
    moves forward by the gap; an ambiguous one (fall back) is the first of the two
    (PEP 495 `fold=0` does both)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def in_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    local = moment.astimezone(zone).time()
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def outside_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (when the working day starts)."""
    if not in_quiet_hours(moment, zone, quiet):
        return moment
    local = moment.astimezone(zone)
    day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    return at_local(day, quiet.end, zone)


def quiet_began(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """When the quiet hours `moment` falls in began (it must fall in them)."""
    local = moment.astimezone(zone)
    day = local.date() if local.time() >= quiet.start else local.date() - timedelta(days=1)
    return at_local(day, quiet.start, zone)


def add_duration(start: datetime, spec: str, zone: ZoneInfo) -> datetime:
    """`3d`, `2w`, `1m` after `start`, counted in local calendar days (a month is a
    calendar month, clamped to its last day), keeping the local time of day."""
    amount, unit = int(spec[:-1]), spec[-1]
    local = start.astimezone(zone)
    if unit == "m":
        month = local.month - 1 + amount
        year, month = local.year + month // 12, month % 12 + 1
        day = min(local.day, _days_in_month(year, month))
        target = local.date().replace(year=year, month=month, day=day)
    else:
        target = local.date() + timedelta(days=amount * (7 if unit == "w" else 1))
    return at_local(target, local.time().replace(tzinfo=None), zone)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def next_birthday(birthday: date, today: date) -> date:
    """The next occurrence on or after `today` (29 February falls on 28 February)."""
    for year in (today.year, today.year + 1):
        try:
            candidate = birthday.replace(year=year)
        except ValueError:
            candidate = date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable")
