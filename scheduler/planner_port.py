"""What the calendar duties (`key_accounts`, `record_care`) need of the planner that runs
them: its policy, people's time zones and quiet hours, and a reminder for the owners. The
planner imports those modules; they know it only by this shape (no import circle)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.policy import ReminderPolicy
from storage.models import Customer, User


class PlannerPort(Protocol):
    policy: ReminderPolicy

    def zone(self, user: User | None) -> ZoneInfo:
        """The person's time zone, else the company's."""

    def deliverable(self, moment: datetime, user: User | None) -> datetime:
        """The moment, moved out of the recipient's quiet hours."""

    async def to_owners(self, session: AsyncSession, customer: Customer, *, kind: str,
                        dedupe_key: str, on: date, now: datetime,
                        payload: dict[str, object]) -> None:
        """One reminder for the owner and each co-owner, at 09:00 their time on `on`."""
