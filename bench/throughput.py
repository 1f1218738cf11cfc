"""M1 (answers/s at saturation, CPU per answer), M2 (latency at a given load) and M3
(bursts from one user), for our bot and its peers, side by side in one run."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.bots import FIRST_USER, RARE_SCRIPT, BotProcess, ours, peer
from bench.load import button_data, tap_update, text_update
from bench.session import Figures, free_port, running, users, window
from bench.webhooks import slow_receiver

Factory = Callable[[int], Awaitable[BotProcess]]  # users needed -> a bot ready to start


def contenders(work: Path) -> dict[str, Factory]:
    async def our(name: str, users_: int, postgres: bool, webhook: bool,
                  framework: str = "aiogram", hook: str | None = None, replicas: int = 0,
                  rare: bool = False) -> BotProcess:
        return await ours(name, work, postgres=postgres, webhook=webhook,
                          users=users_ * 3 if rare else users_, port=free_port(),
                          framework=framework, hook=hook,
                          replicas=[free_port() for _ in range(replicas)],
                          steps=RARE_SCRIPT if rare else None)

    async def of(name: str, module: str, **env: str) -> BotProcess:
        return peer(name, module, **env)

    return {
        "null bot (raw aiohttp, calibration)": lambda n: of("null", "null_bot"),
        "aiogram echo (framework floor)": lambda n: of("echo", "echo_aiogram"),
        "aiogram FSM, MemoryStorage": lambda n: of("fsm-mem", "fsm_aiogram"),
        "aiogram FSM, RedisStorage": lambda n: of("fsm-redis", "fsm_aiogram",
                                                  BENCH_STORAGE="redis"),
        "PTB ConversationHandler + PicklePersistence": lambda n: of(
            "ptb", "ptb_conversation", BENCH_PICKLE=str(work / "ptb.pickle")),
        "PTB ConversationHandler, concurrent_updates": lambda n: of(
            "ptb-conc", "ptb_conversation", BENCH_CONCURRENT="1",
            BENCH_PICKLE=str(work / "ptb-conc.pickle")),
        "ours, polling, SQLite": lambda n: our("ours-sqlite", n, False, False),
        # issue 30: one webhook endpoint that takes 5 s to answer each finished questionnaire
        "ours, polling, SQLite, slow webhook": lambda n: our(
            "ours-sqlite-hook", n, False, False, hook=slow_receiver()),
        "ours (python-telegram-bot), polling, SQLite": lambda n: our(
            "ours-ptb-sqlite", n, False, False, "ptb"),
        "ours, polling, PostgreSQL": lambda n: our("ours-pg", n, True, False),
        "ours, webhook, PostgreSQL": lambda n: our("ours-pg-webhook", n, True, True),
        # issue 29: replicas behind one load balancer, on one database (here all on the
        # bot's core: what they show is the cost of sharing the work, not more cores)
        "ours, webhook, PostgreSQL, 2 replicas": lambda n: our(
            "ours-pg-2", n, True, True, replicas=2),
        "ours, webhook, PostgreSQL, 4 replicas": lambda n: our(
            "ours-pg-4", n, True, True, replicas=4),
        # M1-rare: only short questionnaires from new customers (bench.bots.RARE_SCRIPT)
        "ours, rare updates, SQLite": lambda n: our("ours-rare-sqlite", n, False, False,
                                                    rare=True),
        "ours, rare updates, PostgreSQL": lambda n: our("ours-rare-pg", n, True, False,
                                                        rare=True),
    }


@dataclass
class Settings:
    concurrency: int = 64
    warmup: float = 3.0
    seconds: float = 10.0


async def saturate(factory: Factory, work: Path, s: Settings, latency: float = 0.0) -> Figures:
    expected_users = int((s.warmup + s.seconds) * 1000 / 15) + s.concurrency
    bot = await factory(expected_users)
    async with running(bot, work, latency=latency) as (_api, load):
        work_task = asyncio.create_task(
            load.saturate(users(), s.concurrency, s.warmup + s.seconds))
        return await window(bot, load, work_task, s.warmup, s.seconds)


async def open_loop(factory: Factory, work: Path, rate: float, s: Settings,
                    think: float = 0.5) -> Figures:
    bot = await factory(int(rate * (s.warmup + s.seconds) / 10) + 200)
    async with running(bot, work) as (_api, load):
        steps = len(bot.script(FIRST_USER))
        work_task = asyncio.create_task(
            load.open_loop(users(), rate, steps, s.warmup + s.seconds, think))
        return await window(bot, load, work_task, s.warmup, s.seconds)


QUESTION_NUMBER = re.compile(r"(\d+)/≤?\d+")  # "3/12", and "13/≤48" in the second part


async def burst(factory: Factory, work: Path, double_tap: bool) -> tuple[int, int, int]:
    """One user, mid-questionnaire, sends 10 valid answers at once (or taps one button
    twice at once). Returns (questions it should advance, questions it advanced, prompts
    shown more than once)."""
    bot = await factory(5)
    async with running(bot, work) as (api, load):
        load.keep_texts = True
        user = FIRST_USER
        prefix, answers = bot.burst(user)
        if double_tap:
            last_tap = max(i for i, (k, _) in enumerate(prefix) if k == "tap")
            prefix = prefix[:last_tap + 1]  # the questionnaire's first button, not consent
            prefix, tap = prefix[:-1], prefix[-1]
        load.script = lambda _u: prefix
        await load.play(user)
        chat = load.chats[user]
        before = len(chat.texts)
        if double_tap:
            data = button_data(chat.buttons, tap[1])
            for _ in range(2):
                api.push(tap_update(user, chat.buttons_message, data))
            expected = 1
        else:
            for answer in answers:
                api.push(text_update(user, answer))
            expected = len(answers)
        await asyncio.sleep(8)  # every reply has long arrived by then
        def numbers(texts: list[str]) -> list[int]:
            return [int(m.group(1)) for t in texts
                    if (m := QUESTION_NUMBER.search(t)) and "⚠️" not in t]

        start = numbers(chat.texts[:before])[-1]
        shown = numbers(chat.texts[before:])
        return expected, max(shown, default=start) - start, len(shown) - len(set(shown))
