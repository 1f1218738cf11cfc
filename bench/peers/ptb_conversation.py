"""The other usual way: python-telegram-bot's ConversationHandler with PicklePersistence,
the same 12 questions. Sequential updates by default (BENCH_CONCURRENT=1 turns on
concurrent_updates, which ConversationHandler does not support safely)."""

from __future__ import annotations

import os
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

from bench.peers.fsm_aiogram import QUESTIONS

Context = ContextTypes.DEFAULT_TYPE


async def ask(update: Update, index: int) -> int:
    _, text, buttons, _ = QUESTIONS[index]
    markup = None
    if buttons:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(b, callback_data=f"a:{i}")]
                                       for i, b in enumerate(buttons)])
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(f"{index + 1}/12 {text}", reply_markup=markup)
    return index


async def store(update: Update, context: Context, index: int, value: str) -> int:
    assert context.user_data is not None
    context.user_data[QUESTIONS[index][0]] = value
    if index + 1 < len(QUESTIONS):
        return await ask(update, index + 1)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message("Thank you, all saved.")
    return ConversationHandler.END


async def start(update: Update, _context: Context) -> int:
    return await ask(update, 0)


def handlers(index: int) -> list[Any]:
    _, _, buttons, numeric = QUESTIONS[index]

    async def tapped(update: Update, context: Context) -> int:
        query = update.callback_query
        assert query is not None and buttons
        await query.answer()
        return await store(update, context, index, buttons[int((query.data or "a:0")[2:])])

    async def typed(update: Update, context: Context) -> int:
        assert update.message is not None
        text = update.message.text or ""
        if buttons:
            await update.message.reply_text("Please tap one of the buttons.")
            return index
        if numeric and not text.isdigit():
            await update.message.reply_text("Please answer with a number, e.g. 12.")
            return index
        return await store(update, context, index, text)

    return [CallbackQueryHandler(tapped), MessageHandler(filters.TEXT & ~filters.COMMAND, typed)]


def main() -> None:
    persistence = PicklePersistence(os.environ.get("BENCH_PICKLE", "ptb-bench.pickle"))
    app = (ApplicationBuilder().token(os.environ["BENCH_TOKEN"])
           .base_url(f"{os.environ['BENCH_API']}/bot").persistence(persistence)
           .concurrent_updates(os.environ.get("BENCH_CONCURRENT") == "1")
           .connection_pool_size(64).build())
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={i: handlers(i) for i in range(len(QUESTIONS))},
        fallbacks=[CommandHandler("start", start)], name="survey", persistent=True,
        per_message=False)
    app.add_handler(conversation)
    app.run_polling(poll_interval=0, timeout=25)


if __name__ == "__main__":
    main()
