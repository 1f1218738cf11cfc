"""Simulated users answering a questionnaire through the bench Bot API server.

Each user plays a script (typed answers, button taps, some invalid answers). Latency is
counted from the moment an update became available to the moment the bot's next
message to that chat arrived at the server. Two shapes of load:

- `saturate`: a fixed number of users answer back to back (no think time); when one
  finishes, a new one starts. Gives the maximum answers/s.
- `open_loop`: users arrive at random (Poisson) at a rate that makes the wanted
  answers/s, and think between answers (exponential, mean `think`). Gives latency at a
  given load.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.bot_api import BenchBotApi

Step = tuple[str, Any]  # ("text", "...") or ("tap", button index or label)


@dataclass
class Chat:
    replies: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    first_reply_at: float = 0.0
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, data)
    buttons_message: int = 0
    buttons_seen: int = 0  # replies counted when the newest keyboard arrived
    texts: list[str] = field(default_factory=list)


@dataclass
class Load:
    api: BenchBotApi
    script: Callable[[int], list[Step]]  # user number -> steps
    keep_texts: bool = False
    chats: dict[int, Chat] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)  # when each reply arrived
    timeouts: int = 0

    def __post_init__(self) -> None:
        self.api.on_send = self._sent

    def _sent(self, chat_id: int, message_id: int, params: dict[str, Any], now: float) -> None:
        chat = self.chats.get(chat_id)
        if chat is None:
            return
        if not chat.first_reply_at:
            chat.first_reply_at = now
        chat.replies += 1
        markup = params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if rows:
            chat.buttons = [(b["text"], b.get("callback_data", "")) for row in rows for b in row]
            chat.buttons_message = message_id
            chat.buttons_seen = chat.replies
        if self.keep_texts:
            chat.texts.append(str(params.get("text", "")))
        chat.wake.set()

    async def play(self, user: int, think: float = 0.0, patience: float = 30.0) -> None:
        chat = self.chats[user] = Chat()
        steps = self.script(user)
        for i, (kind, value) in enumerate(steps):
            if think:
                await asyncio.sleep(random.expovariate(1 / think))
            if kind == "tap":
                if not chat.buttons_seen:
                    self.timeouts += 1
                    return  # no keyboard to tap: the bot did not follow the script
                available = self.api.push(tap_update(user, chat.buttons_message,
                                               button_data(chat.buttons, value)))
            else:
                available = self.api.push(text_update(user, str(value)))
            before = chat.replies
            chat.first_reply_at = 0.0
            needs_keyboard = i + 1 < len(steps) and steps[i + 1][0] == "tap"
            try:
                async with asyncio.timeout(patience):
                    while chat.replies == before or (needs_keyboard
                                                     and chat.buttons_seen <= before):
                        chat.wake.clear()
                        await chat.wake.wait()
            except TimeoutError:
                self.timeouts += 1
                return
            reply_at = chat.first_reply_at
            self.latencies.append(reply_at - available)
            self.answered.append(reply_at)

    async def saturate(self, users: Iterator[int], concurrency: int, seconds: float) -> None:
        deadline = time.perf_counter() + seconds

        async def lane() -> None:
            while time.perf_counter() < deadline:
                await self.play(next(users))

        await asyncio.gather(*(lane() for _ in range(concurrency)))

    async def open_loop(self, users: Iterator[int], answers_per_second: float,
                        steps_per_user: int, seconds: float, think: float) -> None:
        rate = answers_per_second / steps_per_user  # users arriving per second
        deadline = time.perf_counter() + seconds
        tasks = []
        while time.perf_counter() < deadline:
            tasks.append(asyncio.create_task(self.play(next(users), think)))
            await asyncio.sleep(random.expovariate(rate))
        await asyncio.gather(*tasks)


def button_data(buttons: list[tuple[str, str]], wanted: int | str) -> str:
    """The data of a button given by index, label, or the end of its data."""
    if isinstance(wanted, int):
        return buttons[wanted][1]
    return next((data for label, data in buttons if wanted in (label, data[-len(wanted):])),
                buttons[0][1])


def _sender(user: int) -> dict[str, Any]:
    return {"id": user, "is_bot": False, "first_name": f"U{user}", "language_code": "en"}


def text_update(user: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": 1, "date": 1_790_000_000, "text": text,
                               "chat": {"id": user, "type": "private"}, "from": _sender(user)}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"message": message}


def tap_update(user: int, message_id: int, data: str) -> dict[str, Any]:
    return {"callback_query": {
        "id": f"cb{user}{message_id}", "from": _sender(user), "chat_instance": str(user),
        "data": data, "message": {"message_id": message_id, "date": 1_790_000_000,
                                  "chat": {"id": user, "type": "private"}, "text": "…"}}}
