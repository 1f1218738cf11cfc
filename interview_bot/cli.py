"""The `interview-bot` command."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from flows.errors import FlowLoadError
from flows.i18n import normalise_language, pick
from flows.loader import load_paths
from flows.model import FlowFile, Stage
from interview_bot.app import open_app
from interview_bot.interviews import InterviewError
from interview_bot.settings import Settings
from interview_bot.terminal_chat import TERMINAL, chat
from storage import customers, migrate
from storage.database import create_engine

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="SPIN customer interviews for sales teams, in Telegram or a terminal.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "flows" / "schema" / "flows.schema.json"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise _fail(f"invalid settings: {exc}") from None


@app.command()
def validate(paths: Annotated[list[Path] | None, typer.Argument(
        help="Flow files or folders (default: the configured flows)")] = None) -> None:
    """Check flow files; print every problem with file:line:column."""
    targets = paths or _settings().interview.flows
    try:
        flows = load_paths(targets)
    except FlowLoadError as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        raise _fail(f"{len(exc.errors)} problem(s) found", 1) from None
    for flow in flows.values():
        typer.echo(f"ok  {flow.id} v{flow.version}: {len(flow.questions)} questions, "
                   f"{len(flow.on_complete)} rules, audience {flow.audience}")


@app.command("flows")
def list_flows() -> None:
    """The flows with their question counts per SPIN stage."""
    try:
        flows = load_paths(_settings().interview.flows)
    except FlowLoadError as exc:
        raise _fail(str(exc), 1) from None
    header = f"{'flow':<14}{'audience':<10}" + "".join(f"{s.value:>13}" for s in Stage)
    typer.echo(header + f"{'total':>8}  title")
    for flow in flows.values():
        counts = Counter(q.stage for q in flow.questions)
        row = f"{flow.id:<14}{flow.audience:<10}" + "".join(f"{counts[s]:>13}" for s in Stage)
        typer.echo(row + f"{len(flow.questions):>8}  {pick(flow.title, 'en')} / "
                         f"{pick(flow.title, 'zh')}")


@app.command("chat")
def chat_command(
    flow: Annotated[str, typer.Option(help="Flow id")] = "pre_meeting",
    lang: Annotated[str | None, typer.Option(help="zh or en")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer (company) name")] = None,
    customer_id: Annotated[int | None, typer.Option(help="Customer id, when names clash")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL (default: settings)")] = None,
) -> None:
    """Run an interview in the terminal (resumes an unfinished one for the same customer)."""
    settings = _settings()
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
                        raise _fail(f"several customers are called {name!r} (ids {ids}); "
                                    "choose one with --customer-id")
                    found = matches[0] if matches else await service.create_customer(
                        session, name, TERMINAL)
                    customer_id = found.id
                assert customer_id is not None
                turn = await service.begin(session, customer_id=customer_id, flow_id=flow_id,
                                           respondent=TERMINAL, language=lang)
            await chat(app_.sessions, service, turn, lang)
    except FlowLoadError as exc:
        raise _fail(str(exc), 1) from None
    except InterviewError as exc:
        raise _fail(f"error: {exc}") from None


def _ask_customer_name() -> str:
    if not sys.stdin.isatty():
        raise _fail("give the customer with --customer NAME when input is piped")
    name: str = typer.prompt("Customer (company) name / 客户公司名称").strip()
    return name


@app.command()
def run() -> None:
    """The main job: the Telegram bot when a token is set, else the terminal interview."""
    settings = _settings()
    if settings.telegram.bot_token is not None:
        raise _fail("TELEGRAM_BOT_TOKEN is set, but this version has no Telegram runtime yet; "
                    "unset it to run the terminal interview")
    typer.echo("No TELEGRAM_BOT_TOKEN set: running the interview here in the terminal.\n"
               "未设置 TELEGRAM_BOT_TOKEN：在终端中进行访谈。 (/lang en for English)")
    language = normalise_language(settings.interview.language)
    asyncio.run(_chat(settings, "pre_meeting", language, None, None, None))


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file")] = None) -> None:
    """Print the JSON Schema of flow files (for editor completion and checks)."""
    text = flow_schema_json()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def flow_schema_json() -> str:
    schema_ = FlowFile.model_json_schema(by_alias=True)
    schema_["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema_["title"] = "Interview flow file"
    return json.dumps(schema_, ensure_ascii=False, indent=2) + "\n"


@db_app.command("upgrade")
def db_upgrade(db: Annotated[str | None, typer.Option(help="Database URL")] = None) -> None:
    """Apply database migrations (also done automatically on start)."""
    settings = _settings()
    asyncio.run(_upgrade(db or settings.database.url))


async def _upgrade(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        typer.echo(f"database at revision {await migrate.current_revision(engine)}")
    finally:
        await engine.dispose()


def main() -> None:
    app()
