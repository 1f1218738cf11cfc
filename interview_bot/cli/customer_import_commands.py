"""`customers import`: a rep's spreadsheet into the central record."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from chat.clock import system_clock
from interview_bot.app import open_app
from interview_bot.cli.command_setup import fail, load_settings
from interview_bot.cli.customer_commands import LANG_HELP, customers_app, lang_of
from interview_bot.cli.wording import say
from interview_bot.settings import Settings
from services import import_writing, importing
from storage import accounts
from storage.database import is_sqlite


@customers_app.command("import")
def customers_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16 or GBK) or XLSX", exists=True,
                                         dir_okay=False, readable=True)],
    owner: Annotated[int | None, typer.Option(help="Telegram id of the rep who owns new "
                                                   "customers (else a 负责人/Owner column)")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; "
                                                            "change nothing")] = False,
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Bring a rep's spreadsheet into the central record: map its columns to the card,
    merge duplicates (credit code, company name, phone), all rows or none."""
    settings = load_settings()
    outcome = asyncio.run(_import(settings, file, owner, dry_run))
    words = lang_of(lang, settings)
    for line in import_summary(outcome, dry_run, words):
        typer.echo(line)
    if outcome.problems:
        for problem in outcome.problems:
            typer.echo(f"{file}: {problem}", err=True)
        total = outcome.count("problems")
        if total > len(outcome.problems):
            typer.echo(f"{file}: … and {total - len(outcome.problems)} more", err=True)
        raise fail(f"{total} problem(s): nothing was imported; fix the rows above and run it "
                   "again", 1)
    typer.echo(say("dry_run" if dry_run else "imported", words))


async def _import(settings: Settings, file: Path, owner_id: int | None,
                  dry_run: bool) -> importing.Outcome:
    async with open_app(settings) as app_:
        now = system_clock()
        today = now.astimezone(ZoneInfo(settings.interview.timezone)).date()
        owner = None
        if owner_id is not None:
            async with app_.sessions.begin() as session:
                owner = await accounts.user_at(session, owner_id)
            if owner is None:
                raise fail(f"no active staff member has Telegram id {owner_id}")
        bar = ProgressBar(file.name) if sys.stderr.isatty() and not dry_run else None
        try:
            return await import_writing.import_table(
                app_.sessions, lambda: importing.stream_table(file), source=file.name,
                today=today, owner=owner, actor="cli", channel="cli", now=now,
                dry_run=dry_run, sqlite=is_sqlite(app_.engine),
                progress=bar.show if bar else None, clock=system_clock, planner=app_.planner)
        except importing.ImportFileError as exc:
            raise fail(f"{file}: {exc}") from None
        except OSError as exc:
            raise fail(f"{file}: cannot read it ({exc.strerror})") from None
        finally:
            if bar is not None:
                bar.close()


class ProgressBar:
    """Rows written so far, on one line of the terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = False

    def show(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total} rows")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def import_summary(outcome: importing.Outcome, dry_run: bool, lang: str) -> Iterable[str]:
    """What an import did (or would do), in the reader's language."""
    yield from outcome.undone
    would = dry_run or not outcome.applied
    yield say("would_create" if would else "created", lang, n=outcome.count("created"))
    yield from (f"  + {line}" for line in outcome.created[:200])
    yield say("would_merge" if would else "merged", lang, n=outcome.count("merged"))
    yield from (f"  = {line}" for line in outcome.merged[:200])
    if outcome.others:
        yield say("others", lang, n=outcome.count("others"))
        yield from (f"  ≠ {line}" for line in outcome.others[:200])
    if outcome.kept:
        yield say("kept", lang, n=outcome.count("kept"))
        yield from (f"  ! {line}" for line in outcome.kept[:200])
    if outcome.ignored_columns:
        yield say("ignored_columns", lang, columns=", ".join(outcome.ignored_columns))
