"""`customers …`: reassigning, personal data (export, erase, close) and importing."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from chat.clock import system_clock
from conversation import labels
from conversation.brief_lines import brief_lines
from conversation.staff_commands import card_lines
from flows.card_fields import field_label
from interview_bot.app import open_app
from interview_bot.cli.command_setup import (
    app,
    customer_id_of,
    customer_of,
    fail,
    load_settings,
)
from interview_bot.cli.wording import cli_language, removed, say
from interview_bot.settings import Settings
from services import card_editing, customer_closing, personal_data
from services.briefing import read_brief
from services.card_view import read_card
from storage import accounts, customers, staff
from storage.private_files import write_private

LANG_HELP = "zh or en (default: INTERVIEW_LANGUAGE)"
customers_app = typer.Typer(no_args_is_help=True, help="Customers and their records.")
app.add_typer(customers_app, name="customers")


@customers_app.command("show")
def customers_show(
    customer: Annotated[str, typer.Argument(help="The customer's name or #id")],
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """A customer's information card: its fields, contacts, completeness and latest answers
    (as /card shows it in the bot; the read is audited)."""
    settings = load_settings()
    for line in asyncio.run(_show(settings, customer, lang_of(lang, settings))):
        typer.echo(line)


async def _show(settings: Settings, name_or_id: str, lang: str) -> list[str]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name_or_id)
        card = await read_card(session, app_.interviews, found, lang, reader="cli", channel="cli",
                               now=system_clock())
        return card_lines(card, app_.flows, lang)


@customers_app.command("brief")
def customers_brief(
    customer: Annotated[str, typer.Argument(help="The customer's name, part of it, or #id")],
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Before a call: what we know and from whom, what is still missing by SPIN stage, and
    the questions to ask next (as /brief shows it in the bot; the read is audited)."""
    settings = load_settings()
    for line in asyncio.run(_brief(settings, customer, lang_of(lang, settings))):
        typer.echo(line)


async def _brief(settings: Settings, name_or_id: str, lang: str) -> list[str]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name_or_id)
        brief = await read_brief(session, app_.interviews, found, lang, reader="cli",
                                 channel="cli", now=system_clock())
        return brief_lines(brief, app_.flows, lang, app_.interviews.zone)


@customers_app.command("edit")
def customers_edit(
    customer: Annotated[str, typer.Argument(help="The customer: name, part of it, pinyin, #id")],
    field: Annotated[str, typer.Argument(help="A card field: phone, grade, budget, 电话, 等级…")],
    value: Annotated[str, typer.Argument(help="The new value, as an interview would take it")],
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Correct one card field; a grade or priority change re-plans the revisit and
    follow-ups (as /edit in the bot)."""
    settings = load_settings()
    for line in asyncio.run(_edit(settings, customer, field, value, lang_of(lang, settings))):
        typer.echo(line)


async def _edit(settings: Settings, name_or_id: str, field: str, value: str,
                lang: str) -> list[str]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name_or_id)
        now = system_clock()
        try:
            edited = await card_editing.edit(
                session, app_.flows, found, field, value, lang=lang,
                today=now.astimezone(ZoneInfo(settings.interview.timezone)).date(), now=now,
                actor="cli", channel="cli", planner=app_.planner)
        except card_editing.EditError as exc:
            raise fail(str(exc)) from None
        lines = [f"{found.name}: {field_label(edited.field, lang)} = {edited.shown}"]
        if edited.replanned:
            lines.append(say("next_revisit", lang, day=found.revisit_due_on))
        return lines


@customers_app.command("note")
def customers_note(
    customer: Annotated[str, typer.Argument(help="The customer: name, part of it, pinyin, #id")],
    text: Annotated[str, typer.Argument(help="The note")],
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """A dated note on the customer's timeline (as /note in the bot): encrypted, audited."""
    settings = load_settings()
    name = asyncio.run(_note(settings, customer, text))
    typer.echo(say("note_saved", lang_of(lang, settings), customer=name))


async def _note(settings: Settings, name_or_id: str, text: str) -> str:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name_or_id)
        try:
            await card_editing.add_note(session, found, text, author_id=None, actor="cli",
                                        channel="cli", now=system_clock())
        except card_editing.EditError as exc:
            raise fail(str(exc)) from None
        return found.name


@customers_app.command("list")
def customers_list(
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Every customer: id, name, grade, priority, owner, last contact (tab-separated, with a
    header line: pastes into a spreadsheet)."""
    settings = load_settings()
    for line in asyncio.run(_list(settings, lang_of(lang, settings))):
        typer.echo(line)


async def _list(settings: Settings, lang: str) -> list[str]:
    async with open_app(settings) as app_, app_.sessions() as session:
        rows, owners = await customers.everyone(session)
        if not rows:
            return [say("no_customers", lang)]
        return [say("list_header", lang), *(
            f"#{c.id}\t{c.name}\t{c.grade or '—'}\t{labels.priority(c.priority, lang)}\t"
            f"{owners.get(c.owner_id or 0, '—')}\t"
            f"{c.last_contact_at.date() if c.last_contact_at else '—'}" for c in rows)]


@customers_app.command("reassign")
def customers_reassign(
    source: Annotated[int, typer.Option("--from", help="Telegram id of the current owner")],
    target: Annotated[int, typer.Option("--to", help="Telegram id of the new owner")],
    customer: Annotated[list[str] | None, typer.Option(
        help="Only this customer (name or #id); repeat for several")] = None,
) -> None:
    """Move customers, with their pending reminders and open invites, to another rep;
    both are told in Telegram."""
    asyncio.run(_reassign(load_settings(), source, target, customer or []))


async def _reassign(settings: Settings, source_id: int, target_id: int,
                    names: list[str]) -> None:
    async with open_app(settings) as app_:
        now = system_clock()
        try:
            async with app_.sessions.begin() as session:
                source = await accounts.user_on(session, "telegram", str(source_id))
                target = await accounts.user_at(session, target_id)
                if source is None or target is None:
                    missing = source_id if source is None else target_id
                    raise fail(f"no user has Telegram id {missing}")
                ids = [await customer_id_of(session, n) for n in names] or None
                moved = await staff.reassign(session, source, target, actor="cli",
                                             channel="cli", now=now, customer_ids=ids)
        except staff.StaffError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"moved {len(moved.customers)} customer(s) from {source.name} to "
                   f"{target.name}, with {moved.reminders} reminder(s) and {moved.invites} "
                   "open invite(s)")


@customers_app.command("assign")
def customers_assign(
    customer: Annotated[list[str], typer.Argument(help="Customers nobody owns (name or #id)")],
    target: Annotated[int, typer.Option("--to", help="Telegram id of the new owner")],
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Give customers nobody owns yet an owner (reps see them only then); the owner is
    told, their pending reminders follow."""
    settings = load_settings()
    asyncio.run(_assign(settings, customer, target, lang_of(lang, settings)))


async def _assign(settings: Settings, names: list[str], target_id: int, lang: str) -> None:
    async with open_app(settings) as app_:
        now = system_clock()
        try:
            async with app_.sessions.begin() as session:
                target = await accounts.user_at(session, target_id)
                if target is None:
                    raise fail(f"no active user has Telegram id {target_id}")
                found = [await customer_of(session, n) for n in names]
                done = await staff.assign(session, found, target, actor="cli", channel="cli",
                                          now=now)
                for assigned in done:
                    await app_.planner.set_revisit(session, assigned, now)
        except staff.StaffError as exc:
            raise fail(str(exc)) from None
        typer.echo(say("assigned", lang, owner=target.name,
                       customers=", ".join(f"{c.name} (#{c.id})" for c in done)))


@customers_app.command("export-personal")
def customers_export_personal(
    customer: Annotated[str, typer.Argument(help="The customer's name or #id")],
    out: Annotated[Path | None, typer.Option(help="Write to this file (default: print)")]
    = None,
    contact: Annotated[int | None, typer.Option(help="Only this contact (person) of the "
                                                     "customer, by id")] = None,
) -> None:
    """Everything held about a customer and its people, or about one contact (a
    data-subject request), as JSON."""
    document = asyncio.run(_export_personal(load_settings(), customer, contact))
    text = json.dumps(document, ensure_ascii=False, indent=2, default=_iso) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_private(out, text.encode("utf-8"))
        typer.echo(f"wrote {out}")


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


async def _export_personal(settings: Settings, name: str,
                           contact_id: int | None) -> dict[str, object]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name)
        try:
            return await personal_data.export(session, found, contact_id, actor="cli",
                                              channel="cli", now=system_clock())
        except personal_data.NoSuchContact as exc:
            raise fail(str(exc)) from None


@customers_app.command("erase")
def customers_erase(
    customer: Annotated[str, typer.Argument(help="The customer's name or #id")],
    yes: Annotated[bool, typer.Option("--yes", help="Yes, erase it; this cannot be undone")]
    = False,
    contact: Annotated[int | None, typer.Option(help="Erase only this contact (person)")]
    = None,
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Erase a customer's personal data (contacts, answers, interviews, consents, invites,
    what its people sent the bot) and anonymise the record; the audit entry stays."""
    if not yes:
        raise fail("erasing cannot be undone: add --yes (and consider `customers "
                    "export-personal` first)")
    settings = load_settings()
    counts = asyncio.run(_erase(settings, customer, contact))
    words = lang_of(lang, settings)
    items = ("、" if words == "zh" else ", ").join(
        removed(what, n, words) for what, n in counts.items() if n) \
        or say("erased_nothing", words)
    typer.echo(say("erased", words, items=items) + ("" if contact else say("anonymous", words)))


async def _erase(settings: Settings, name: str, contact_id: int | None) -> dict[str, int]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name)
        try:
            return await personal_data.erase(session, found, contact_id, actor="cli",
                                             channel="cli", now=system_clock())
        except personal_data.NoSuchContact as exc:
            raise fail(str(exc)) from None


@customers_app.command("close")
def customers_close(
    customer: Annotated[str, typer.Argument(help="The customer's name or #id")],
    lang: Annotated[str | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Mark a customer closed (lost or ended): no more revisits; the retention period
    (INTERVIEW_RETENTION_MONTHS) starts."""
    settings = load_settings()
    asyncio.run(_close(settings, customer, lang_of(lang, settings)))


async def _close(settings: Settings, name: str, lang: str) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customer_of(session, name)
        now = system_clock()
        await customer_closing.close(session, found, actor="cli", channel="cli", now=now)
        typer.echo(say("closed", lang, customer=found.name))


def lang_of(chosen: str | None, settings: Settings) -> str:
    """`--lang`, else the INTERVIEW_LANGUAGE setting."""
    return cli_language(chosen, settings.interview.language)
