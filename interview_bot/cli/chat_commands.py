"""The main job and the terminal interview: `run` and `chat`."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Annotated

import typer

from flows.errors import FlowLoadError
from flows.i18n import SUPPORTED_LANGUAGES, normalise_language
from interview_bot.app import App, open_app
from interview_bot.cli.command_setup import (
    app,
    customer_or_new,
    fail,
    load_settings,
)
from interview_bot.cli.project_files import PathProblem, placed
from interview_bot.settings import Settings
from interview_bot.terminal_chat import TERMINAL, chat, say
from services.interview_service import InterviewError, Respondent, Turn
from storage import (
    accounts,
    customers,
)


@app.command("chat")
def chat_command(
    flow: Annotated[str, typer.Option(help="Flow id")] = "pre_meeting",
    lang: Annotated[str | None, typer.Option(help="zh or en")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer (company) name")] = None,
    customer_id: Annotated[int | None, typer.Option(help="Customer id, when names clash")] = None,
    new: Annotated[bool, typer.Option("--new", help="Start a new customer of that name (without "
                                                    "it, the name must find one)")] = False,
    db: Annotated[str | None, typer.Option(help="Database URL (default: settings)")] = None,
    rep: Annotated[int | None, typer.Option(help="Telegram id of the staff member answering "
                                                 "(a debrief): follow-ups go to them")] = None,
) -> None:
    """Run an interview in the terminal (resumes an unfinished one for the same customer)."""
    settings = load_settings(uses_database=db is None, creates_database=True)
    if lang is not None and lang.strip().lower() not in SUPPORTED_LANGUAGES:
        raise fail(f"--lang {lang!r} is not a language of this bot: use zh or en")
    language = normalise_language(lang or settings.interview.language)
    if db is not None:
        try:
            db = placed(db, Path.cwd(), explicit=True)
        except PathProblem as exc:
            raise fail(str(exc).replace("DATABASE_URL", "--db")) from None
    _chat(settings, flow, language, customer, customer_id, db, rep, new)


def _chat(settings: Settings, flow_id: str, lang: str, customer: str | None,
          customer_id: int | None, db: str | None, rep: int | None = None,
          new: bool = False) -> None:
    """The terminal interview. Input is read on the main thread and each line runs as one
    transaction on a loop kept for the whole interview, so Ctrl-C stops at once: what was
    answered is saved, the process exits 130 without a traceback."""
    name = None if customer_id is not None else customer or _ask_customer_name()
    creating = new if customer is not None else None  # a name typed when asked: see below
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        try:
            app_ = runner.run(stack.enter_async_context(open_app(settings, database_url=db)))
            turn, respondent = runner.run(_begin(app_, flow_id, lang, name, customer_id, rep,
                                                     creating))
            staff = respondent.user_id is not None or app_.flows[flow_id].audience == "rep"
            status = chat(runner.run, app_.sessions, app_.interviews, turn, lang,
                          respondent=respondent, staff=staff)
        except KeyboardInterrupt:
            typer.echo("\n" + say("interrupted", lang))  # where chat() says it too
            status = "interrupted"
        except FlowLoadError as exc:
            raise fail(str(exc), 1) from None
        except InterviewError as exc:
            raise fail(f"error: {exc}") from None
        finally:
            runner.run(stack.aclose())
    if status == "interrupted":
        raise typer.Exit(130)


async def _begin(app_: App, flow_id: str, lang: str, name: str | None,
                 customer_id: int | None, rep: int | None,
                 new: bool | None) -> tuple[Turn, Respondent]:
    service = app_.interviews
    async with app_.sessions.begin() as session:
        respondent = TERMINAL
        if rep is not None:
            user = await accounts.user_at(session, rep)
            if user is None:
                raise fail(f"--rep {rep}: no active staff member has that Telegram id "
                           "(`users list` shows them)")
            respondent = Respondent("terminal", "terminal", user.id)
        if name is not None:
            named = await customer_or_new(
                session, name, new, lambda typed: service.create_customer(session, typed,
                                                                          TERMINAL))
            customer_id = named.id
        assert customer_id is not None
        found = await customers.get(session, customer_id)
        if found is None:
            raise fail(f"there is no customer #{customer_id}: check the id, or give "
                       "--customer NAME to find or start one by name")
        flow = app_.flows.get(flow_id)  # an unknown one: service.begin says so below
        if found.owner_id is None and respondent.user_id is not None \
                and flow is not None and flow.audience == "rep":
            found.owner_id = respondent.user_id  # a rep who debriefs an unowned customer owns it
        turn = await service.begin(session, customer_id=customer_id, flow_id=flow_id,
                                   respondent=respondent, language=lang)
        return turn, respondent


def _ask_customer_name() -> str:
    """The company, asked for; with piped input, the first line is the company."""
    prompt = "Customer (company) name / 客户公司名称: "
    try:
        if sys.stdin.isatty():
            name = input(prompt).strip()
        else:
            typer.echo(prompt)
            name = sys.stdin.readline().strip()
    except (KeyboardInterrupt, EOFError):
        typer.echo("\nNothing was started. / 未开始访谈。", err=True)
        raise typer.Exit(130) from None
    if not name:
        raise fail("a customer name is needed to start an interview: type it, give "
                   "--customer NAME, or pipe it as the first line / 需要客户公司名称")
    return name


@app.command()
def run(
    webhook: Annotated[bool, typer.Option(help="Serve a webhook instead of long polling")] = False,
    framework: Annotated[str, typer.Option(help="aiogram or ptb")] = "aiogram",
) -> None:
    """The main job: the bot when a Telegram token, a Feishu app or a DingTalk app is set (any
    of them), else the terminal interview."""
    settings = load_settings(creates_database=True)
    if settings.telegram.bot_token is not None or settings.feishu.configured \
            or settings.dingtalk.configured:
        from interview_bot.serve import (
            serve,  # the Telegram frameworks: imported only when they run
        )

        level = os.environ.get("LOG_LEVEL", "INFO").upper()
        logging.basicConfig(level=level if level in logging.getLevelNamesMapping() else "INFO",
                            format="%(asctime)s %(levelname)s %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl"
        try:
            asyncio.run(serve(settings, framework=framework, webhook=webhook))
        except ValueError as exc:
            raise fail(str(exc)) from None
        return
    typer.echo("No TELEGRAM_BOT_TOKEN, FEISHU_APP_ID or DINGTALK_CLIENT_ID set: running the "
               "interview here in the terminal.\n未设置 TELEGRAM_BOT_TOKEN、FEISHU_APP_ID 或 "
               "DINGTALK_CLIENT_ID：在终端中进行访谈。 (/lang en for English)")
    language = normalise_language(settings.interview.language)
    _chat(settings, "pre_meeting", language, None, None, None)


