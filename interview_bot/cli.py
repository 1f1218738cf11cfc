"""The `interview-bot` command."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat.clock import system_clock
from flows.errors import FlowLoadError
from flows.i18n import normalise_language, pick
from flows.loader import load_paths
from flows.model import FlowFile, Stage
from interview_bot.app import EncryptionNotConfigured, cipher_from, open_app
from interview_bot.settings import Settings
from interview_bot.terminal_chat import TERMINAL, chat
from scheduler.single_dispatcher import DispatcherLocked
from services import importing
from services.chart import render_png
from services.exporting import FORMATS, ExportFile, build_export
from services.interviewing import InterviewError
from services.reports import build_report, summary_text
from storage import (
    accounts,
    audit,
    crypto,
    customers,
    invites,
    migrate,
    personal,
    reminders,
    rotation,
    staff,
)
from storage.database import create_engine
from storage.models import Contact, Customer, User

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="SPIN customer interviews for sales teams, in Telegram or a terminal.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "flows" / "schema" / "flows.schema.json"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _settings(needs_keys: bool = True) -> Settings:
    """The settings; for commands that touch the database, with encryption configured
    (or SECURITY_DEMO=true), else a clear refusal."""
    try:
        settings = Settings()
    except ValueError as exc:
        raise _fail(f"invalid settings: {exc}") from None
    if needs_keys:
        try:
            cipher_from(settings)
        except EncryptionNotConfigured as exc:
            raise _fail(f"refusing to start: {exc}") from None
    return settings


@app.command()
def validate(paths: Annotated[list[Path] | None, typer.Argument(
        help="Flow files or folders (default: the configured flows)")] = None) -> None:
    """Check flow files; print every problem with file:line:column."""
    targets = paths or _settings(needs_keys=False).interview.flows
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
        flows = load_paths(_settings(needs_keys=False).interview.flows)
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
def run(
    webhook: Annotated[bool, typer.Option(help="Serve a webhook instead of long polling")] = False,
    framework: Annotated[str, typer.Option(help="aiogram or ptb")] = "aiogram",
) -> None:
    """The main job: the Telegram bot when a token is set, else the terminal interview."""
    settings = _settings()
    if settings.telegram.bot_token is not None:
        from interview_bot.serve import (
            serve,  # the Telegram frameworks: imported only when they run
        )

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        try:
            asyncio.run(serve(settings, framework=framework, webhook=webhook))
        except ValueError as exc:
            raise _fail(str(exc)) from None
        return
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


users_app = typer.Typer(no_args_is_help=True, help="Staff who use the bot.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    telegram_id: Annotated[int, typer.Option(help="Numeric Telegram user id")],
    role: Annotated[str, typer.Option(help="rep, manager or admin")],
    name: Annotated[str, typer.Option(help="Display name")],
    manager_id: Annotated[int | None, typer.Option(help="The user id of their manager")] = None,
) -> None:
    """Register a rep, manager or admin (or change an existing one's role)."""
    asyncio.run(_users_add(_settings(), telegram_id, role, name, manager_id))


async def _users_add(settings: Settings, telegram_id: int, role: str, name: str,
                     manager_id: int | None) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        now = system_clock()
        try:
            user = await accounts.add_user(session, telegram_id=telegram_id, name=name,
                                           role=role, now=now, manager_id=manager_id)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        await audit.append(session, at=now, actor="cli", action="user.add", entity="user",
                           entity_id=user.id, fields=["role"], channel="cli")
        typer.echo(f"user {user.id}: {name} ({role}), telegram id {telegram_id}")


@users_app.command("list")
def users_list() -> None:
    """Everyone registered: id, Telegram id, role, manager, active, customers owned."""
    asyncio.run(_users_list(_settings()))


async def _users_list(settings: Settings) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        for user, owned in await staff.listing(session):
            state = "active" if user.active else "deactivated"
            typer.echo(f"{user.id:>5}  {user.telegram_id or '-':>12}  {user.role:<8} "
                       f"{user.name}  manager {user.manager_id or '-'}  {state}  "
                       f"{owned} customer(s)")


@users_app.command("set-role")
def users_set_role(
    telegram_id: Annotated[int, typer.Option(help="Numeric Telegram user id")],
    role: Annotated[str, typer.Option(help="rep, manager or admin")],
    manager_id: Annotated[int | None, typer.Option(help="The user id of their manager")] = None,
) -> None:
    """Change a user's role (and, optionally, their manager)."""
    asyncio.run(_staff_change(_settings(), telegram_id, role, manager_id))


@users_app.command("deactivate")
def users_deactivate(
    telegram_id: Annotated[int, typer.Option(help="Numeric Telegram user id")],
) -> None:
    """Switch a user off. Refused while they own customers: reassign those first."""
    asyncio.run(_staff_change(_settings(), telegram_id, None, None))


async def _staff_change(settings: Settings, telegram_id: int, role: str | None,
                        manager_id: int | None) -> None:
    async with open_app(settings) as app_:
        now = system_clock()
        refused = None
        async with app_.sessions.begin() as session:  # a refusal is audited, so it commits
            user = await accounts.user_by_telegram(session, telegram_id)
            if user is None:
                raise _fail(f"no active user has Telegram id {telegram_id}")
            try:
                if role is None:
                    await staff.deactivate(session, user, actor="cli", channel="cli", now=now)
                    message = f"{user.name} is deactivated"
                else:
                    await staff.set_role(session, user, role, actor="cli", channel="cli",
                                         now=now, manager_id=manager_id)
                    message = f"{user.name} is now {role}"
            except staff.StaffError as exc:
                refused = str(exc)
        if refused is not None:
            raise _fail(refused)
        typer.echo(message)


customers_app = typer.Typer(no_args_is_help=True, help="Customers and their records.")
app.add_typer(customers_app, name="customers")


@customers_app.command("reassign")
def customers_reassign(
    source: Annotated[int, typer.Option("--from", help="Telegram id of the current owner")],
    target: Annotated[int, typer.Option("--to", help="Telegram id of the new owner")],
    customer: Annotated[list[str] | None, typer.Option(
        help="Only this customer (name or #id); repeat for several")] = None,
) -> None:
    """Move customers, with their pending reminders and open invites, to another rep;
    both are told in Telegram."""
    asyncio.run(_reassign(_settings(), source, target, customer or []))


async def _reassign(settings: Settings, source_id: int, target_id: int,
                    names: list[str]) -> None:
    async with open_app(settings) as app_:
        now = system_clock()
        try:
            async with app_.sessions.begin() as session:
                source = await session.scalar(select(User).where(User.telegram_id == source_id))
                target = await accounts.user_by_telegram(session, target_id)
                if source is None or target is None:
                    missing = source_id if source is None else target_id
                    raise _fail(f"no user has Telegram id {missing}")
                ids = [await _customer_id(session, n) for n in names] or None
                moved = await staff.reassign(session, source, target, actor="cli",
                                             channel="cli", now=now, customer_ids=ids)
        except staff.StaffError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"moved {len(moved.customers)} customer(s) from {source.name} to "
                   f"{target.name}, with {moved.reminders} reminder(s) and {moved.invites} "
                   "open invite(s)")


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
    document = asyncio.run(_export_personal(_settings(), customer, contact))
    text = json.dumps(document, ensure_ascii=False, indent=2, default=_iso) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


async def _export_personal(settings: Settings, name: str,
                           contact_id: int | None) -> dict[str, object]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customers.get(session, await _customer_id(session, name))
        assert found is not None
        if contact_id is not None:
            person = await _contact_of(session, found, contact_id)
            document = await personal.export_contact(session, person)
            entity, entity_id = "contact", person.id
        else:
            document = await personal.export_personal(session, found)
            entity, entity_id = "customer", found.id
        await audit.append(session, at=system_clock(), actor="cli", action="personal.export",
                           entity=entity, entity_id=entity_id, channel="cli")
        return document


async def _contact_of(session: AsyncSession, customer: Customer, contact_id: int) -> Contact:
    person = await session.get(Contact, contact_id)
    if person is None or person.customer_id != customer.id:
        raise _fail(f"{customer.name} has no contact #{contact_id}; `customers "
                    "export-personal` lists its contacts with their ids")
    return person


@customers_app.command("erase")
def customers_erase(
    customer: Annotated[str, typer.Argument(help="The customer's name or #id")],
    yes: Annotated[bool, typer.Option("--yes", help="Yes, erase it; this cannot be undone")]
    = False,
    contact: Annotated[int | None, typer.Option(help="Erase only this contact (person)")]
    = None,
) -> None:
    """Erase a customer's personal data (contacts, answers, interviews, consents, invites,
    what its people sent the bot) and anonymise the record; the audit entry stays."""
    if not yes:
        raise _fail("erasing cannot be undone: add --yes (and consider `customers "
                    "export-personal` first)")
    counts = asyncio.run(_erase(_settings(), customer, contact))
    removed = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "nothing else"
    typer.echo(f"erased: {removed}" + ("" if contact else "; the record is now anonymous"))


async def _erase(settings: Settings, name: str, contact_id: int | None) -> dict[str, int]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customers.get(session, await _customer_id(session, name))
        assert found is not None
        if contact_id is not None:
            person = await _contact_of(session, found, contact_id)
            return await personal.erase_contact(session, person, actor="cli", channel="cli",
                                                now=system_clock())
        return await personal.erase(session, found, actor="cli", channel="cli",
                                    now=system_clock())


@customers_app.command("close")
def customers_close(
    customer: Annotated[str, typer.Argument(help="The customer's name or #id")],
) -> None:
    """Mark a customer closed (lost or ended): no more revisits; the retention period
    (INTERVIEW_RETENTION_MONTHS) starts."""
    asyncio.run(_close(_settings(), customer))


async def _close(settings: Settings, name: str) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        found = await customers.get(session, await _customer_id(session, name))
        assert found is not None
        now = system_clock()
        found.closed_at, found.revisit_due_on, found.updated_at = now, None, now
        await reminders.cancel_pending(session, found.id, ("revisit", "follow_up"), now)
        await audit.append(session, at=now, actor="cli", action="customer.close",
                           entity="customer", entity_id=found.id, fields=["closed_at"],
                           channel="cli")
        typer.echo(f"{found.name} is closed")


@customers_app.command("import")
def customers_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16 or GBK) or XLSX", exists=True,
                                         dir_okay=False, readable=True)],
    owner: Annotated[int | None, typer.Option(help="Telegram id of the rep who owns new "
                                                   "customers (else a 负责人/Owner column)")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; "
                                                            "change nothing")] = False,
) -> None:
    """Bring a rep's spreadsheet into the central record: map its columns to the card,
    merge duplicates (credit code, company name, phone), all rows or none."""
    settings = _settings()
    try:
        table = importing.read_table(file)
    except importing.ImportFileError as exc:
        raise _fail(f"{file}: {exc}") from None
    except OSError as exc:
        raise _fail(f"{file}: cannot read it ({exc.strerror})") from None
    outcome = asyncio.run(_import(settings, table, owner, dry_run))
    for line in importing.summary(outcome, dry_run):
        typer.echo(line)
    if outcome.problems:
        for problem in outcome.problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise _fail(f"{len(outcome.problems)} problem(s): nothing was imported; fix the rows "
                    "above and run it again", 1)
    typer.echo("dry run: nothing was changed" if dry_run else "imported")


async def _import(settings: Settings, table: list[list[str]], owner_id: int | None,
                  dry_run: bool) -> importing.Outcome:
    async with open_app(settings) as app_:
        now = system_clock()
        today = now.astimezone(ZoneInfo(settings.interview.timezone)).date()
        try:
            rows, outcome = importing.parse_rows(table, today)
        except importing.ImportFileError as exc:
            raise _fail(str(exc)) from None
        session = app_.sessions()
        async with session:
            await session.begin()
            owner = None
            if owner_id is not None:
                owner = await accounts.user_by_telegram(session, owner_id)
                if owner is None:
                    raise _fail(f"no active staff member has Telegram id {owner_id}")
            await importing.import_rows(session, rows, outcome, owner=owner, actor="cli",
                                        channel="cli", now=now)
            if outcome.problems or dry_run:
                await session.rollback()  # all or nothing
            else:
                await session.commit()
                outcome.applied = True
        return outcome


@app.command()
def invite(
    customer: Annotated[str, typer.Option(help="Customer (company) name")],
    flow: Annotated[str, typer.Option(help="Flow the customer answers")] = "pre_meeting",
    bot_username: Annotated[str, typer.Option(help="The bot's @username (without @)")] = "",
    days: Annotated[int, typer.Option(help="Days the link stays valid")] = 14,
) -> None:
    """Make an invite link for a customer's questionnaire."""
    asyncio.run(_invite(_settings(), customer, flow, bot_username, days))


async def _invite(settings: Settings, name: str, flow_id: str, username: str, days: int) -> None:
    if not username:
        raise _fail("give --bot-username (the bot's Telegram @username)")
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        if flow_id not in app_.flows:
            raise _fail(f"there is no flow `{flow_id}`")
        now = system_clock()
        matches = await customers.find_by_name(session, name)
        if len(matches) > 1:
            raise _fail(f"several customers are called {name!r}; rename one first")
        found = matches[0] if matches else await app_.interviews.create_customer(
            session, name, TERMINAL)
        created, token = await invites.create(session, customer_id=found.id, flow_id=flow_id,
                                              created_by=None, now=now,
                                              valid_for=timedelta(days=days))
        await audit.append(session, at=now, actor="cli", action="invite.create",
                           entity="invite", entity_id=created.id, channel="cli")
        typer.echo(f"https://t.me/{username.lstrip('@')}?start={token}")


@app.command("revoke-invites")
def revoke_invites(customer: Annotated[str, typer.Option(help="Customer (company) name")]) -> None:
    """Revoke every open invite link of a customer."""
    asyncio.run(_revoke(_settings(), customer))


async def _revoke(settings: Settings, name: str) -> None:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        now = system_clock()
        found = await customers.find_by_name(session, name)
        if not found:
            raise _fail(f"there is no customer {name!r}")
        revoked = 0
        for customer in found:
            revoked += await invites.revoke_open(session, customer.id, now)
            await audit.append(session, at=now, actor="cli", action="invite.revoke",
                               entity="customer", entity_id=customer.id, channel="cli")
        typer.echo(f"revoked {revoked} invite link(s)")


reminders_app = typer.Typer(no_args_is_help=True, help="Follow-ups, revisits and digests.")
app.add_typer(reminders_app, name="reminders")


@reminders_app.command("list")
def reminders_list(
    due: Annotated[bool, typer.Option("--due", help="Only what is due now")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Customers overdue for a revisit")]
    = False,
) -> None:
    """Pending reminders (or, with --overdue, the customers whose revisit is overdue)."""
    asyncio.run(_reminders_list(_settings(), due, overdue))


async def _reminders_list(settings: Settings, due: bool, overdue: bool) -> None:
    async with open_app(settings) as app_, app_.sessions() as session:
        now = system_clock()
        if overdue:
            today = now.astimezone(ZoneInfo(settings.interview.timezone)).date()
            for customer in await reminders.overdue_customers(session, today):
                assert customer.revisit_due_on is not None
                days = (today - customer.revisit_due_on).days
                typer.echo(f"{customer.id:>6}  {customer.name}  due {customer.revisit_due_on}"
                           f"  ({days} days overdue)  owner {customer.owner_id or '-'}")
            return
        for row in await reminders.listing(session, due_before=now if due else None):
            typer.echo(f"{row.id:>6}  {row.kind:<18} due {row.due_at:%Y-%m-%d %H:%M}Z  "
                       f"to {row.recipient_id or row.recipient_chat}  "
                       f"customer {row.customer_id or '-'}  tries {row.attempts}")


@reminders_app.command("tick")
def reminders_tick() -> None:
    """One pass: plan what fell due, then send it (for cron-style deployments)."""
    asyncio.run(_reminders_tick(_settings()))


async def _reminders_tick(settings: Settings) -> None:
    if settings.telegram.bot_token is None:
        raise _fail("reminders are sent through Telegram: set TELEGRAM_BOT_TOKEN")
    from interview_bot.serve import (
        ClientOnFirstUse,
        raw_sender,
        reminder_runtime,
        sqlite_dispatcher_lock,
    )

    runtime = ClientOnFirstUse("aiogram", settings.telegram.bot_token.get_secret_value(),
                                settings.telegram.api_server)
    sender = raw_sender(settings, runtime.perform)
    try:
        async with open_app(settings) as app_:
            try:
                lock = sqlite_dispatcher_lock(app_.engine)
            except DispatcherLocked as exc:
                raise _fail(str(exc)) from None
            try:
                stats = await reminder_runtime(settings, app_, sender.perform,
                                               system_clock).tick()
            finally:
                if lock is not None:
                    lock.release()
            typer.echo(f"sent {stats.sent}, retrying {stats.retried}, failed {stats.failed}, "
                       f"expired {stats.expired}, postponed {stats.postponed} (quiet hours), "
                       f"redirected {stats.redirected}")
    finally:
        await sender.close()
        await runtime.close()


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="xlsx, csv (a ZIP of CSV files) or json")]
    = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File to write (default: a dated name)")]
    = None,
    flow: Annotated[str | None, typer.Option(help="Only interviews of this flow")] = None,
    since: Annotated[str | None, typer.Option(help="Only interviews started on or after "
                                                   "this day (YYYY-MM-DD)")] = None,
    lang: Annotated[str, typer.Option(help="Language of headers and answer labels")] = "zh",
) -> None:
    """Interviews (a row each, a column per question), customers and contacts, for Excel."""
    if fmt not in FORMATS:
        raise _fail(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    settings = _settings()
    start = _day_start(since, settings) if since else None
    exported = asyncio.run(_export(settings, fmt, flow, start, normalise_language(lang)))
    target = out or Path(exported.filename)
    target.write_bytes(exported.content)
    typer.echo(f"wrote {target}: {exported.interviews} interview(s), {exported.customers} "
               f"customer(s), {exported.contacts} contact(s)")


def _day_start(text: str, settings: Settings) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--since {text!r} is not a date; write it as YYYY-MM-DD") from None
    return datetime.combine(day, time(), ZoneInfo(settings.interview.timezone))


async def _export(settings: Settings, fmt: str, flow: str | None, since: datetime | None,
                  lang: str) -> ExportFile:
    async with open_app(settings) as app_:
        if flow is not None and flow not in app_.flows:
            raise _fail(f"there is no flow {flow!r}; known: {', '.join(app_.flows)}")
        now = system_clock()
        async with app_.sessions.begin() as session:
            exported = await build_export(session, app_.flows, None, fmt=fmt,  # type: ignore[arg-type]
                                          lang=lang, now=now,
                                          timezone=settings.interview.timezone,
                                          flow_id=flow, since=since)
            await audit.append(session, at=now, actor="cli", action="export", entity="export",
                               entity_id=None, fields=[fmt], channel="cli")
    return exported


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option(help="The chart, as PNG")] = Path("report.png"),
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days back")] = 7,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """The team report managers get weekly: a PNG chart, and its summary on the terminal."""
    png, summary = asyncio.run(_report(_settings(), days, normalise_language(lang)))
    out.write_bytes(png)
    typer.echo(summary)
    typer.echo(f"chart: {out}")


async def _report(settings: Settings, days: int, lang: str) -> tuple[bytes, str]:
    async with open_app(settings) as app_:
        now = system_clock()
        async with app_.sessions.begin() as session:
            report = await build_report(session, app_.flows, None, now,
                                        settings.interview.timezone, lang, days)
            await audit.append(session, at=now, actor="cli", action="report", entity="report",
                               entity_id=None, channel="cli")
    return await asyncio.to_thread(render_png, report.data(), lang), summary_text(report, lang)


@app.command("audit")
def audit_command(
    customer: Annotated[str | None, typer.Option(help="A customer's name or #id")] = None,
    user: Annotated[int | None, typer.Option(help="A staff member's Telegram id")] = None,
    since: Annotated[str | None, typer.Option(help="From this day on (YYYY-MM-DD)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 200,
) -> None:
    """Who read, changed, exported or erased what, and whether the trail is intact."""
    settings = _settings()
    start = _day_start(since, settings) if since else None
    lines, broken = asyncio.run(_audit(settings, customer, user, start, limit))
    for line in lines:
        typer.echo(line)
    if broken is not None:
        raise _fail(f"the audit trail has been tampered with: entry {broken} does not match "
                    "its hash", 1)
    typer.echo(f"{len(lines)} entr{'y' if len(lines) == 1 else 'ies'}; the trail is intact")


async def _audit(settings: Settings, customer: str | None, user: int | None,
                 since: datetime | None, limit: int) -> tuple[list[str], int | None]:
    async with open_app(settings) as app_, app_.sessions.begin() as session:
        customer_id = None
        if customer is not None:
            customer_id = await _customer_id(session, customer)
        user_id = actor = None
        if user is not None:
            found = await accounts.user_by_telegram(session, user)
            if found is None:
                raise _fail(f"no staff member has Telegram id {user}")
            user_id, actor = found.id, f"tg:{user}"
        rows = await audit.entries(session, customer_id=customer_id, actor=actor,
                                   user_id=user_id, since=since, limit=limit)
        broken = await audit.verify_chain(session)
        await audit.append(session, at=system_clock(), actor="cli", action="audit.read",
                           entity="customer" if customer_id else "audit",
                           entity_id=customer_id, channel="cli")
        return [f"{row.id:>7}  {audit.describe(row)}" for row in rows], broken


async def _customer_id(session: AsyncSession, name_or_id: str) -> int:
    """A customer named on the command line: `#12` or `12` by id, else by name."""
    key = name_or_id.strip().lstrip("#")
    if key.isdecimal() and await customers.get(session, int(key)) is not None:
        return int(key)
    found = await customers.find_by_name(session, name_or_id)
    if not found:
        raise _fail(f"there is no customer {name_or_id!r}")
    if len(found) > 1:
        ids = ", ".join(f"#{c.id}" for c in found)
        raise _fail(f"several customers are called {name_or_id!r} ({ids}); give the id")
    return found[0].id


keys_app = typer.Typer(no_args_is_help=True, help="Encryption keys for personal data.")
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def keys_init(
    env_file: Annotated[Path, typer.Option(help="Where to write them")] = Path(".env"),
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when keys "
                                                                  "are already set")] = False,
) -> None:
    """Create an encryption key and a blind-index key and write them to .env."""
    settings = _settings(needs_keys=False)
    if settings.security.encryption_keys or settings.security.blind_index_key:
        if if_missing:
            return
        raise _fail("keys are already set; to replace the encryption key, put a new one "
                    "(`interview-bot keys new`) first in SECURITY_ENCRYPTION_KEYS and run "
                    "`interview-bot keys rotate`")
    lines = (f"SECURITY_ENCRYPTION_KEYS={crypto.new_key()}\n"
             f"SECURITY_BLIND_INDEX_KEY={secrets.token_urlsafe(48)}\n")
    existing = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    env_file.write_text(existing + separator + lines, encoding="utf-8")
    env_file.chmod(0o600)
    typer.echo(f"wrote new keys to {env_file}. Keep a copy somewhere safe: without them the "
               "personal data in the database cannot be read.")


@keys_app.command("new")
def keys_new() -> None:
    """Print a new encryption key (to put first in SECURITY_ENCRYPTION_KEYS)."""
    typer.echo(crypto.new_key())


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500,
) -> None:
    """Re-encrypt every value not written with the current (first) key, and rebuild the
    blind indexes. Each batch commits: after a crash, run it again to finish."""
    counts = asyncio.run(_rotate(_settings(), batch))
    for column, count in counts.items():
        typer.echo(f"{column}: {count} re-encrypted")
    typer.echo("every value is now under the current key")


async def _rotate(settings: Settings, batch: int) -> dict[str, int]:
    async with open_app(settings) as app_:
        cipher = crypto.cipher_of(app_.engine.sync_engine.dialect)
        if cipher is None:
            raise _fail("SECURITY_DEMO is on and no keys are set: nothing to rotate to")
        return await rotation.rotate(app_.sessions, cipher, batch)


@db_app.command("upgrade")
def db_upgrade(db: Annotated[str | None, typer.Option(help="Database URL")] = None) -> None:
    """Apply database migrations (also done automatically on start)."""
    settings = _settings(needs_keys=False)
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
