"""What the interview service needs of the reminder planner (the scheduler implements it),
and what finishing an interview scheduled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from flows.steps import Outcome
from storage.models import Customer, Interview, User


@dataclass(frozen=True, slots=True)
class Scheduled:
    """What finishing an interview scheduled, to tell the person who finished it."""

    follow_ups: tuple[datetime, ...] = ()  # when each follow-up falls due
    revisit_on: date | None = None
    owner: str | None = None  # whom they go to
    asked: int = 0  # follow-ups the flow's rules asked for
    zone: str = "Asia/Shanghai"  # the owner's time zone, to show the times in
    clean_up: tuple[str, ...] = ()  # card fields left vague: a clean-up task was set

    @property
    def no_owner(self) -> bool:
        """Follow-ups were asked for, and nobody owns the customer to receive them."""
        return self.asked > 0 and self.owner is None


class FollowUpPlanner(Protocol):
    """What the service needs of the reminder planner (the scheduler implements it)."""

    async def after_interview(self, session: AsyncSession, interview: Interview,
                              customer: Customer, outcome: Outcome | None,
                              now: datetime) -> Scheduled:
        """Plan follow-ups and the next revisit, inside the caller's transaction."""

    def deliverable(self, moment: datetime, user: User | None) -> datetime:
        """The moment, moved out of the recipient's quiet hours."""

    def before(self, moment: datetime, deadline: datetime, user: User | None) -> datetime:
        """The moment out of the recipient's quiet hours: their end when that is still
        before `deadline`, else just before they began."""

    async def set_revisit(self, session: AsyncSession, customer: Customer,
                          now: datetime) -> None:
        """The next revisit, by the customer's grade, after its last contact."""

    async def reprioritise(self, session: AsyncSession, customer: Customer,
                           now: datetime) -> None:
        """Pending follow-ups moved to the cadence of the customer's (new) priority."""

    async def one_follow_up_a_day(self, session: AsyncSession, customer: Customer,
                                  now: datetime) -> int:
        """At most one pending follow-up per person and day (after a merge)."""
