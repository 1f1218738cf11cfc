"""How people usually write it: an aiogram 3 StatesGroup questionnaire, 12 questions,
answers kept in FSM data (MemoryStorage or RedisStorage), as in aiogram's own examples.

BENCH_STORAGE=memory|redis; BENCH_ISOLATION=none|simple (no isolation is aiogram's
default, which M3 measures).
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import DisabledEventIsolation, MemoryStorage, SimpleEventIsolation
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

# (key, question, buttons or None, numeric)
QUESTIONS = [
    ("industry", "Which industry?", ["Manufacturing", "Retail", "Services"], False),
    ("employees", "How many employees?", None, True),
    ("business", "Main business?", None, False),
    ("name", "Your name?", None, False),
    ("title", "Your title?", None, False),
    ("problems", "Biggest problem today?", None, False),
    ("hours", "Hours lost per week?", None, True),
    ("deciders", "Who else decides?", None, False),
    ("budget", "Budget (CNY)?", None, True),
    ("focus", "What should we focus on?", None, False),
    ("vendors", "Other vendors you talk to?", None, False),
    ("timeline", "When do you want it solved?", ["This month", "This quarter", "Later"], False),
]


class Survey(StatesGroup):
    q0 = State()
    q1 = State()
    q2 = State()
    q3 = State()
    q4 = State()
    q5 = State()
    q6 = State()
    q7 = State()
    q8 = State()
    q9 = State()
    q10 = State()
    q11 = State()


STATES = list(Survey.__all_states__)  # in the order they are declared
router = Router()


async def ask(target: Message, state: FSMContext, index: int) -> None:
    _, text, buttons, _ = QUESTIONS[index]
    markup = None
    if buttons:
        markup = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=b, callback_data=f"a:{i}")] for i, b in enumerate(buttons)])
    await state.set_state(STATES[index])
    await target.answer(f"{index + 1}/12 {text}", reply_markup=markup)


async def position(state: FSMContext) -> int | None:
    """The number of the question the user is at, from the FSM state."""
    current = await state.get_state()
    return next((i for i, s in enumerate(STATES) if s.state == current), None)


async def store(message: Message, state: FSMContext, value: str) -> None:
    index = await position(state)
    assert index is not None
    await state.update_data({QUESTIONS[index][0]: value})
    if index + 1 < len(QUESTIONS):
        await ask(message, state, index + 1)
    else:
        await state.clear()
        await message.answer("Thank you, all saved.")


@router.message(CommandStart())
async def start(message: Message, state: FSMContext) -> None:
    await state.clear()
    await ask(message, state, 0)


@router.callback_query(F.data.startswith("a:"))
async def tapped(query: CallbackQuery, state: FSMContext) -> None:
    index = await position(state)
    await query.answer()
    if index is None or not QUESTIONS[index][2] or not isinstance(query.message, Message):
        return
    buttons = QUESTIONS[index][2] or []
    await store(query.message, state, buttons[int((query.data or "a:0")[2:])])


@router.message(F.text, Survey())
async def typed(message: Message, state: FSMContext) -> None:
    index = await position(state)
    assert index is not None  # the filter lets only Survey states through
    _, _, buttons, numeric = QUESTIONS[index]
    if buttons:
        await message.answer("Please tap one of the buttons.")
        return
    if numeric and not (message.text or "").isdigit():
        await message.answer("Please answer with a number, e.g. 12.")
        return
    await store(message, state, message.text or "")


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BENCH_API"]))
    bot = Bot(os.environ["BENCH_TOKEN"], session=session)
    storage: BaseStorage
    isolation: BaseEventIsolation
    if os.environ.get("BENCH_STORAGE", "memory") == "redis":
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage.from_url(os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/5"))
        await storage.redis.flushdb()
        isolation = (RedisEventIsolation(storage.redis)
                     if os.environ.get("BENCH_ISOLATION") == "simple"
                     else DisabledEventIsolation())
    else:
        storage = MemoryStorage()
        isolation = (SimpleEventIsolation() if os.environ.get("BENCH_ISOLATION") == "simple"
                     else DisabledEventIsolation())
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.include_router(router)
    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
