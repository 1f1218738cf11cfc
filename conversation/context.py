"""What one update's handling needs: its session, who sent it, in which language, and what
its batch already loaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from chat.actions import Action
from chat.capabilities import Channel, channel_named
from chat.incoming import Incoming
from flows.model import Flow
from services.interview_service import InterviewService, Respondent
from storage.models import Account, Interview, User


@dataclass(frozen=True)
class BotConfig:
    bot_username: str
    admin_ids: frozenset[int] = frozenset()
    invite_valid_for: timedelta = timedelta(days=14)
    invite_flow: str = "pre_meeting"
    debrief_flow: str = "post_call"
    web_url: str = "http://127.0.0.1:8090"  # the dashboard, for /dashboard's sign-in links


@dataclass
class Known:
    """What a batch of updates loaded up front: a few queries for the whole batch, not a few
    per update. Accounts stay right for the batch (only these updates change them); staff
    too, until a command that changes staff runs (then they are looked up afresh). The
    interview in front of someone and their consents are read from here only for typed
    answers; a command or button press of that person drops them, so it and what follows
    read afresh."""

    accounts: dict[int, Account] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    interviews: dict[str, Interview] = field(default_factory=dict)  # respondent key -> latest
    consents: dict[tuple[int, int], str] = field(default_factory=dict)
    fresh: set[int] = field(default_factory=set)  # addresses whose entries were dropped
    held: Sequence[object] = ()  # kept alive in the session's map
    users_stale: bool = False  # a command changed staff: look users up afresh

    def forget(self, address: int) -> None:
        self.fresh.add(address)
        self.interviews.pop(f"tg:{address}", None)


@dataclass
class Ctx:
    session: AsyncSession
    incoming: Incoming
    account: Account
    user: User | None
    now: datetime
    config: BotConfig
    interviews: InterviewService
    flows: Mapping[str, Flow]
    known: Known = field(default_factory=Known)
    actions: list[Action] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.account.language or "zh"

    @property
    def today(self) -> date:
        """The day it is for the sender (their time zone, else the company's)."""
        zone = self.interviews.zone
        if self.user is not None and self.user.timezone:
            zone = ZoneInfo(self.user.timezone)
        return self.now.astimezone(zone).date()

    @property
    def channel(self) -> Channel:
        """What the channel this message came by can do."""
        return channel_named(self.incoming.channel)

    @property
    def chat_id(self) -> int:
        return self.incoming.chat_id

    @property
    def respondent(self) -> Respondent:
        return Respondent(f"tg:{self.incoming.user_id}", self.incoming.channel,
                          None if self.user is None else self.user.id)
