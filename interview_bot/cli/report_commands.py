"""Exports, the team report and the audit trail."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from chat.clock import system_clock
from flows.i18n import normalise_language
from interview_bot.app import open_app
from interview_bot.cli.command_setup import (
    app,
    customer_id_of,
    fail,
    load_settings,
)
from interview_bot.settings import Settings
from services import audit_trail, data_out
from services.chart import render_png
from services.exporting import FORMATS, MIN_REASON, ExportFile, export_reason
from services.reports import summary_text
from storage import (
    accounts,
    audit,
)
from storage.private_files import write_private

EXPORTS = Path("exports")  # where an export goes without --out: a folder only you can read


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="xlsx, csv (a ZIP of CSV files) or json")]
    = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File to write (default: exports/…)")]
    = None,
    flow: Annotated[str | None, typer.Option(help="Only interviews of this flow")] = None,
    since: Annotated[str | None, typer.Option(help="Only interviews started on or after "
                                                   "this day (YYYY-MM-DD)")] = None,
    lang: Annotated[str, typer.Option(help="Language of headers and answer labels")] = "zh",
    reason: Annotated[str | None, typer.Option(
        help="Why the data is copied out (recorded with the export; required)")] = None,
) -> None:
    """Interviews (a row each, a column per question), customers and contacts, for Excel."""
    if fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    why, problem = export_reason(reason)
    if problem == "missing":
        raise fail("an export copies customer data out, so it needs a reason on record; "
                   "add --reason \"…\", e.g. --reason \"quarterly review\"")
    if problem == "too_short":
        raise fail(f"--reason {why!r} is too short: say in a few words why the data is "
                   f"copied out (at least {MIN_REASON} characters), e.g. --reason "
                   "\"quarterly review\"")
    settings = load_settings()
    start = _day_start(since, settings) if since else None
    exported = asyncio.run(_export(settings, fmt, flow, start, normalise_language(lang), why))
    target = out or EXPORTS / exported.filename
    write_private(target, exported.content)  # personal data: 0600
    typer.echo(f"wrote {target}: {exported.interviews} interview(s), {exported.customers} "
               f"customer(s), {exported.contacts} contact(s)")


def _day_start(text: str, settings: Settings) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise fail(f"--since {text!r} is not a date; write it as YYYY-MM-DD") from None
    return datetime.combine(day, time(), ZoneInfo(settings.interview.timezone))


async def _export(settings: Settings, fmt: str, flow: str | None, since: datetime | None,
                  lang: str, reason: str) -> ExportFile:
    async with open_app(settings) as app_:
        if flow is not None and flow not in app_.flows:
            raise fail(f"there is no flow {flow!r}; known: {', '.join(app_.flows)}")
        now = system_clock()
        async with app_.sessions.begin() as session:
            exported, _ = await data_out.export(
                session, app_.flows, None, fmt=fmt,  # type: ignore[arg-type]
                lang=lang, now=now, timezone=settings.interview.timezone, reason=reason,
                actor="cli", channel="cli", flow_id=flow, since=since)
    return exported


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option(help="The chart, as PNG")] = Path("report.png"),
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days back")] = 7,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """The team report managers get weekly: a PNG chart, and its summary on the terminal."""
    png, summary = asyncio.run(_report(load_settings(), days, normalise_language(lang)))
    write_private(out, png)
    typer.echo(summary)
    typer.echo(f"chart: {out}")


async def _report(settings: Settings, days: int, lang: str) -> tuple[bytes, str]:
    async with open_app(settings) as app_:
        now = system_clock()
        async with app_.sessions.begin() as session:
            report = await data_out.report(session, app_.flows, None, now=now,
                                           timezone=settings.interview.timezone, lang=lang,
                                           days=days, actor="cli", channel="cli")
    return await asyncio.to_thread(render_png, report.data(), lang), summary_text(report, lang)


@app.command("audit")
def audit_command(
    customer: Annotated[str | None, typer.Option(help="A customer's name or #id")] = None,
    user: Annotated[int | None, typer.Option(help="A staff member's Telegram id")] = None,
    since: Annotated[str | None, typer.Option(help="From this day on (YYYY-MM-DD)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 200,
) -> None:
    """Who read, changed, exported or erased what, and whether the trail is intact."""
    settings = load_settings()
    start = _day_start(since, settings) if since else None
    lines, broken = asyncio.run(_audit(settings, customer, user, start, limit))
    for line in lines:
        typer.echo(line)
    if broken is not None:
        raise fail(f"the audit trail has been tampered with: entry {broken} does not match "
                    "its hash", 1)
    typer.echo(f"{len(lines)} entr{'y' if len(lines) == 1 else 'ies'}; the trail is intact")


async def _audit(settings: Settings, customer: str | None, user: int | None,
                 since: datetime | None, limit: int) -> tuple[list[str], int | None]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        customer_id = None
        if customer is not None:
            customer_id = await customer_id_of(session, customer)
        found = None
        if user is not None:
            found = await accounts.user_at(session, user)
            if found is None:
                raise fail(f"no staff member has Telegram id {user}")
        trail = await audit_trail.read(session, customer_id=customer_id, user=found,
                                       since=since, limit=limit,
                                       reader="cli", channel="cli", now=system_clock())
        return [f"{row.id:>7}  {audit.describe(row, trail.names.get(row.actor))}"
                + (f"  reason: {trail.reasons[row.id]}" if row.id in trail.reasons else "")
                for row in trail.entries], trail.broken


