"""The clock a bot under test runs on: never the wall clock's time of day.

It starts at TEST_CLOCK (ISO 8601 with an offset, e.g. `2026-12-06T19:30:00+08:00`) when that
is set, else at the real moment; it then moves with real time, so leases, retries and
timeouts behave, and a test may jump it (`set`, `advance`). `make test` runs the tests whose
outcome depends on the date under a few fixed clocks (`make test-clocks`).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo


def start_moment() -> datetime:
    """TEST_CLOCK, or now; always aware, in UTC."""
    raw = os.environ.get("TEST_CLOCK", "").strip()
    if not raw:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError(f"TEST_CLOCK={raw!r} has no offset; expected e.g. "
                         "2026-12-06T19:30:00+08:00")
    return moment.astimezone(UTC)


class RunningClock:
    """Starts at a chosen moment and runs at real speed from there."""

    def __init__(self, start: datetime | None = None) -> None:
        self.set(start or start_moment())

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def set(self, moment: datetime) -> None:
        self._start, self._t0 = moment.astimezone(UTC), time.monotonic()

    def advance(self, **delta: float) -> None:
        self._start += timedelta(**delta)

    def forward_to(self, local: clock_time, zone: str = "Asia/Shanghai") -> datetime:
        """Move on (never back: what the bot stored stays in the past) to the next moment
        that reads `local` in `zone`; returns it."""
        now = self().astimezone(ZoneInfo(zone))
        moment = datetime.combine(now.date(), local, now.tzinfo)
        if moment <= now:
            moment = datetime.combine(now.date() + timedelta(days=1), local, now.tzinfo)
        self.set(moment)
        return moment.astimezone(UTC)
