"""What one update's handling needs: its session, who sent it, in which language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from chat.actions import Action
from chat.incoming import Incoming
from flows.model import Flow
from services.interviewing import InterviewService, Respondent
from storage.models import TelegramAccount, User


@dataclass(frozen=True)
class BotConfig:
    bot_username: str
    admin_ids: frozenset[int] = frozenset()
    invite_valid_for: timedelta = timedelta(days=14)
    invite_flow: str = "pre_meeting"
    debrief_flow: str = "post_call"


@dataclass
class Ctx:
    session: AsyncSession
    incoming: Incoming
    account: TelegramAccount
    user: User | None
    now: datetime
    config: BotConfig
    interviews: InterviewService
    flows: Mapping[str, Flow]
    actions: list[Action] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.account.language

    @property
    def chat_id(self) -> int:
        return self.incoming.chat_id

    @property
    def respondent(self) -> Respondent:
        return Respondent(f"tg:{self.incoming.user_id}", "telegram",
                          None if self.user is None else self.user.id)
