"""Running the real bot (aiogram or PTB) against the local Bot API server, in-process."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interview_bot.app import open_app
from interview_bot.serve import serve
from interview_bot.settings import (
    AdminSettings,
    DatabaseSettings,
    InterviewSettings,
    ReminderSettings,
    Settings,
    TelegramSettings,
)
from scheduler.policy import load_policy
from storage import accounts
from storage.models import Answer, User
from tests.clock import RunningClock
from tests.local_bot_api import TOKEN, LocalBotApi

ADMIN = 9001
REP = 7001
CUSTOMER = 5001


@dataclass
class BotUnderTest:
    api: LocalBotApi
    framework: str
    settings: Settings
    webhook: bool = False
    clock: RunningClock = field(default_factory=RunningClock)  # never the time of day
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(serve(self.settings, framework=self.framework,
                                              webhook=self.webhook, clock=self.clock,
                                              stop=self.stop_event))
        connected = asyncio.ensure_future(self.api.wait_for(
            lambda: any(c.method == "getMe" for c in self.api.calls), 20))
        done, _ = await asyncio.wait({self.task, connected},
                                     return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            connected.cancel()
            self.task.result()  # raise what stopped it
            raise AssertionError("the bot stopped during start-up")
        connected.result()

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)

    async def restart(self) -> None:
        await self.stop()
        self.api.calls.clear()
        await self.start()

    # ------------------------------------------------------------- talking to it
    async def say(self, user: int, text: str, language: str = "en") -> str:
        """Send a text and return the bot's next message to that chat."""
        before = len(self.api.texts(user))
        self.api.push_text(user, text, language)
        await self.api.wait_for(lambda: len(self.api.texts(user)) > before)
        return self.api.texts(user)[before]

    async def skip_rest(self, user: int, reply: str, done: str, language: str = "en") -> str:
        """Skip the optional questions left (a debrief ends asking what the card lacks)
        until the reply starts with `done`; returns that reply."""
        for _ in range(20):
            if reply.startswith(done):
                return reply
            reply = await self.say(user, "/skip", language)
        raise AssertionError(f"never reached {done!r}: {reply}")

    async def tap(self, user: int, label_or_data: str, language: str = "en") -> str:
        """Press a button of the newest message (by label or data); return the next message."""
        buttons = self.api.last_buttons(user)
        data = next((d for label, d in buttons if label_or_data in (label, d)), None)
        assert data is not None, f"no button {label_or_data!r} in {buttons}"
        before = len(self.api.texts(user))
        self.api.push_tap(user, self.api.last_message_id(user), data, language)
        await self.api.wait_for(lambda: len(self.api.texts(user)) > before)
        return self.api.texts(user)[before]

    async def answers(self) -> list[Answer]:
        async with open_app(self.settings) as app, app.sessions() as session:
            return list((await session.scalars(
                select(Answer).where(Answer.superseded_at.is_(None)).order_by(Answer.id))).all())

    async def eventually(self, check: Callable[[AsyncSession], Awaitable[bool]],
                         seconds: float = 10.0) -> None:
        """Poll the database until `check` holds; each look is its own short transaction
        (on SQLite a transaction holds the write lock, so a long one would stall the bot)."""
        async with open_app(self.settings) as app:
            deadline = asyncio.get_running_loop().time() + seconds
            while True:
                async with app.sessions() as session:
                    if await check(session):
                        return
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError("the database never reached the expected state")
                await asyncio.sleep(0.05)

    async def add_staff(self, telegram_id: int, role: str, name: str) -> None:
        async with open_app(self.settings) as app, app.sessions.begin() as session:
            await accounts.add_user(session, telegram_id=telegram_id, name=name, role=role,
                                    now=self.clock())


async def team_of_two(bot: BotUnderTest) -> tuple[User, User, User]:
    """李娜 (Telegram 8001) manages two reps, 王芳 (7001) and 赵强 (7002)."""
    async with open_app(bot.settings) as app, app.sessions.begin() as s:
        now = bot.clock()
        manager = await accounts.add_user(s, telegram_id=8001, name="李娜", role="manager",
                                          now=now)
        wang = await accounts.add_user(s, telegram_id=7001, name="王芳", role="rep", now=now,
                                       manager_id=manager.id)
        zhao = await accounts.add_user(s, telegram_id=7002, name="赵强", role="rep", now=now,
                                       manager_id=manager.id)
    return manager, wang, zhao


def quiet_week_policy(now: datetime | None = None) -> Path:
    """The shipped reminder policy, with the managers' weekly report moved to a weekday
    that is not due while a test runs (it would interleave with the replies tests read),
    and no quiet hours: a notice a test waits for must not wait for the morning when the
    suite runs in the evening in Shanghai (quiet hours have tests of their own). `now`: the
    clock of the bot that reads it (a real process: the real one)."""
    policy = load_policy()
    weekday = ((now or datetime.now(UTC)).isoweekday() + 3) % 7 + 1  # four days ahead
    path = Path(tempfile.mkdtemp(prefix="policy-")) / "reminders.yaml"
    path.write_text(yaml.safe_dump({**policy.model_dump(mode="json"),
                                    "weekly_report_weekday": weekday,
                                    "quiet_hours": {"start": "00:00", "end": "00:00"}}),
                    encoding="utf-8")
    return path


def bot_settings(db_url: str, api: LocalBotApi, flows: list[Path] | None = None,
                 now: datetime | None = None, **telegram: Any) -> Settings:
    interview = InterviewSettings(flows=flows) if flows else InterviewSettings()
    return Settings(
        reminders=ReminderSettings(policy_file=quiet_week_policy(now)),
        database=DatabaseSettings(url=db_url),
        telegram=TelegramSettings(bot_token=TOKEN, api_server=api.base_url, poll_seconds=1,
                                  **telegram),
        admin=AdminSettings(telegram_ids=[ADMIN]),
        interview=interview,
    )


@contextlib.asynccontextmanager
async def running_bot(framework: str, db_url: str, flows: list[Path] | None = None,
                      webhook: bool = False, **telegram: Any) -> AsyncIterator[BotUnderTest]:
    api = LocalBotApi()
    await api.start()
    clock = RunningClock()
    bot = BotUnderTest(api, framework, bot_settings(db_url, api, flows, clock(), **telegram),
                       webhook, clock)
    try:
        await bot.start()
        yield bot
    finally:
        with contextlib.suppress(Exception):
            await bot.stop()
        await api.stop()
