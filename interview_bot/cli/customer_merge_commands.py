"""`customers merge` and `customers co-owner`: folding a duplicate record into another,
and putting a second rep on a customer (seeds 001 and 002)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from chat.clock import system_clock
from flows.i18n import normalise_language
from interview_bot.app import open_app
from interview_bot.cli.command_setup import customer_of, fail, load_settings
from interview_bot.cli.customer_commands import customers_app
from interview_bot.settings import Settings
from services import co_ownership
from services.record_merge import merge_records, report_lines
from services.record_merge import say as merge_say
from storage import accounts


@customers_app.command("merge")
def customers_merge(
    duplicate: Annotated[str, typer.Argument(help="The duplicate record: name, pinyin, #id")],
    into: Annotated[str, typer.Option("--into", help="The record to keep: name, pinyin, #id")],
    lang: Annotated[str | None, typer.Option(help="zh or en")] = None,
) -> None:
    """Fold a duplicate customer record into another: its interviews, answers, contacts,
    notes, reminders, invites and audit trail move; empty card fields are filled from it."""
    settings = load_settings()
    language = normalise_language(lang or settings.interview.language)
    for line in asyncio.run(_merge(settings, duplicate, into, language)):
        typer.echo(line)


async def _merge(settings: Settings, duplicate_name: str, kept_name: str,
                 lang: str) -> list[str]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        duplicate = await customer_of(session, duplicate_name)
        kept = await customer_of(session, kept_name)
        if duplicate.id == kept.id:
            raise fail(merge_say("same", "en"))
        name, old = duplicate.name, duplicate.id
        report = await merge_records(session, duplicate, kept, actor="cli", channel="cli",
                                     now=system_clock(), planner=app_.planner)
        person = await accounts.user_by(session, user_id=report.co_owner) \
            if report.co_owner else None
        return report_lines(report, name, old, kept, lang, person.name if person else None)


@customers_app.command("co-owner")
def customers_co_owner(
    customer: Annotated[str, typer.Argument(help="The customer: name, pinyin, #id")],
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="The rep's Telegram id")],
    remove: Annotated[bool, typer.Option("--remove", help="Take them off instead")] = False,
) -> None:
    """Add (or remove) a co-owner: a second rep who gets the customer's reminders and sees
    it as its owner does."""
    typer.echo(asyncio.run(_co_owner(load_settings(), customer, telegram_id, remove)))


async def _co_owner(settings: Settings, name: str, telegram_id: int, remove: bool) -> str:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name)
        done = await co_ownership.change(session, found, telegram_id, remove=remove, by=None,
                                         actor="cli", channel="cli", now=system_clock())
        if done is None:
            raise fail(f"nobody active with Telegram id {telegram_id} is on the team; "
                       "add them with `users add` first")
        if done.outcome == "is_owner":
            return f"{done.person.name} already owns {found.name}"
        said = {"removed": "removed from", "was_not": "was not a co-owner of",
                "added": "is now a co-owner of", "already": "already co-owns"}[done.outcome]
        return f"{done.person.name} {said} {found.name} (#{found.id})"
