"""The main job and the terminal interview: `run` and `chat`."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer

from flows.errors import FlowLoadError
from flows.i18n import normalise_language
from interview_bot.app import open_app
from interview_bot.cli.command_setup import (
    app,
    fail,
    load_settings,
)
from interview_bot.settings import Settings
from interview_bot.terminal_chat import TERMINAL, chat
from services.interviewing import InterviewError
from storage import (
    customers,
)


@app.command("chat")
def chat_command(
    flow: Annotated[str, typer.Option(help="Flow id")] = "pre_meeting",
    lang: Annotated[str | None, typer.Option(help="zh or en")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer (company) name")] = None,
    customer_id: Annotated[int | None, typer.Option(help="Customer id, when names clash")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL (default: settings)")] = None,
) -> None:
    """Run an interview in the terminal (resumes an unfinished one for the same customer)."""
    settings = load_settings()
    language = normalise_language(lang or settings.interview.language)
    asyncio.run(_chat(settings, flow, language, customer, customer_id, db))


async def _chat(settings: Settings, flow_id: str, lang: str, customer: str | None,
                customer_id: int | None, db: str | None) -> None:
    try:
        async with open_app(settings, database_url=db) as app_:
            service = app_.interviews
            name = None if customer_id is not None else customer or _ask_customer_name()
            async with app_.sessions.begin() as session:
                if name is not None:
                    matches = await customers.find_by_name(session, name)
                    if len(matches) > 1:
                        ids = ", ".join(str(c.id) for c in matches)
                        raise fail(f"several customers are called {name!r} (ids {ids}); "
                                    "choose one with --customer-id")
                    found = matches[0] if matches else await service.create_customer(
                        session, name, TERMINAL)
                    customer_id = found.id
                assert customer_id is not None
                turn = await service.begin(session, customer_id=customer_id, flow_id=flow_id,
                                           respondent=TERMINAL, language=lang)
            await chat(app_.sessions, service, turn, lang)
    except FlowLoadError as exc:
        raise fail(str(exc), 1) from None
    except InterviewError as exc:
        raise fail(f"error: {exc}") from None


def _ask_customer_name() -> str:
    if not sys.stdin.isatty():
        raise fail("give the customer with --customer NAME when input is piped")
    name: str = typer.prompt("Customer (company) name / 客户公司名称").strip()
    return name


@app.command()
def run(
    webhook: Annotated[bool, typer.Option(help="Serve a webhook instead of long polling")] = False,
    framework: Annotated[str, typer.Option(help="aiogram or ptb")] = "aiogram",
) -> None:
    """The main job: the Telegram bot when a token is set, else the terminal interview."""
    settings = load_settings()
    if settings.telegram.bot_token is not None:
        from interview_bot.serve import (
            serve,  # the Telegram frameworks: imported only when they run
        )

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        try:
            asyncio.run(serve(settings, framework=framework, webhook=webhook))
        except ValueError as exc:
            raise fail(str(exc)) from None
        return
    typer.echo("No TELEGRAM_BOT_TOKEN set: running the interview here in the terminal.\n"
               "未设置 TELEGRAM_BOT_TOKEN：在终端中进行访谈。 (/lang en for English)")
    language = normalise_language(settings.interview.language)
    asyncio.run(_chat(settings, "pre_meeting", language, None, None, None))


