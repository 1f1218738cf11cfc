"""What reps, managers and admins do in chat. Permissions are checked before any of this runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from chat.actions import Button, Send, clip
from conversation import card_commands, duplicate_choices, labels, meeting_commands
from conversation.brief_lines import brief_lines, warning_line
from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.render import clip_label
from conversation.texts import say
from flows.answer_checks import display
from flows.card_fields import field_label
from flows.model import Flow
from flows.values import BIDI_CONTROLS
from services import audit_trail, customer_search, invitations, team_members
from services.access import can_see, visible_customers
from services.briefing import read_brief
from services.card_view import Card, read_card
from services.exporting import card_values, choice_labels, header_text, label_of
from services.reports import quality_lines
from storage import accounts, customers
from storage.models import Answer, AuditEntry, Contact, Customer

NEEDS_CUSTOMER = ("debrief", "invite", "card", "brief", "history", "note", "edit", "meet")
CREATES = ("debrief", "invite")  # an unknown name is offered as a new customer
MAX_NAME = 200  # customers.name
_CONTROL = re.compile(f"[\x00-\x1f\x7f{BIDI_CONTROLS}]")


def customer_name(text: str) -> str:
    """A company name as typed, without control or direction-override characters (they
    would make one name look like another) and with spacing tidied."""
    return " ".join(_CONTROL.sub(" ", text).split())
HISTORY_LINES = 30


async def with_customer(ctx: Ctx, command: str, name: str, rest: str = "") -> None:
    """Find the customer a command names: pick among several, offer to create an unknown
    one. `rest` is what the command does with it (a note's text, a field and its value)."""
    assert ctx.user is not None
    name = customer_name(name)
    if not name:
        ctx.actions.append(Send(ctx.chat_id, say("needs_customer", ctx.lang,
                                                 command=f"/{command}")))
        return
    if len(name) > MAX_NAME:
        ctx.actions.append(Send(ctx.chat_id, say("name_too_long", ctx.lang, limit=MAX_NAME,
                                                 length=len(name))))
        return
    user = ctx.user
    named = await customer_search.name_customer(
        ctx.session, name, lambda c: can_see(ctx.session, user, c),
        lambda: visible_customers(ctx.session, user, limit=2000))
    found = named.found
    if len(found) == 1:
        await run_on_customer(ctx, command, found[0], rest)
        return
    ctx.account.pending = {"command": command, "name": name, "rest": rest}
    if found:
        buttons = tuple((Button(clip_label(f"{c.name} (#{c.id})"), f"pick:{c.id}"),)
                        for c in found[:10])
        ctx.actions.append(Send(ctx.chat_id, say("pick_customer", ctx.lang, name=name), buttons))
    elif named.elsewhere and command in CREATES:  # 撞单: whose it is, and what to do
        await duplicate_choices.offer(ctx, command, name, rest, named.others[0])
    elif named.elsewhere:  # it exists, and is someone else's
        ctx.actions.append(Send(ctx.chat_id, say("not_yours", ctx.lang)))
    else:
        near = named.closest
        hint = say("closest", ctx.lang, names="、".join(near) if ctx.lang == "zh"
                   else ", ".join(near)) if near else ""
        if command in CREATES:
            button = Button(clip_label(say("create_button", ctx.lang, name=name)), "new:1")
            text = " ".join(p for p in (say("not_found_create", ctx.lang, name=name), hint) if p)
            ctx.actions.append(Send(ctx.chat_id, clip(text), ((button,),)))
        else:
            text = " ".join(p for p in (say("not_found", ctx.lang, name=name), hint) if p)
            ctx.actions.append(Send(ctx.chat_id, clip(text)))


async def picked(ctx: Ctx, kind: str, argument: str) -> bool:
    """A press on a customer button left by `with_customer`."""
    pending = ctx.account.pending or {}
    command = pending.get("command")
    if ctx.user is None or command not in NEEDS_CUSTOMER:
        return False
    if kind == "pick" and argument.isdecimal():
        customer = await customers.get(ctx.session, int(argument))
        if customer is None or not await can_see(ctx.session, ctx.user, customer):
            return False
    else:
        customer = await ctx.interviews.create_customer(
            ctx.session, str(pending.get("name", "")), ctx.respondent, owner_id=ctx.user.id)
    ctx.account.pending = None
    mark_pressed(ctx, customer.name)
    await run_on_customer(ctx, str(command), customer, str(pending.get("rest", "")))
    return True


async def run_on_customer(ctx: Ctx, command: str, customer: Customer, rest: str = "") -> None:
    assert ctx.user is not None
    if command in ("note", "edit"):
        await card_commands.on_customer(ctx, command, customer, rest)
        return
    if command == "meet":
        await meeting_commands.on_customer(ctx, customer, rest)
        return
    if command == "debrief":
        turn = await ctx.interviews.begin(ctx.session, customer_id=customer.id,
                                          flow_id=ctx.config.debrief_flow,
                                          respondent=ctx.respondent, language=ctx.lang)
        await after_turn(ctx, turn)
    elif command == "invite":
        await _invite(ctx, customer)
    elif command == "history":
        await _history(ctx, customer)
    elif command == "brief":
        await _brief(ctx, customer)
    else:
        await _card(ctx, customer)


async def _invite(ctx: Ctx, customer: Customer) -> None:
    assert ctx.user is not None
    _, token = await invitations.invite(
        ctx.session, customer_id=customer.id, flow_id=ctx.config.invite_flow, by=ctx.user,
        actor=ctx.respondent.actor, channel=ctx.incoming.channel, now=ctx.now,
        valid_for=ctx.config.invite_valid_for)
    days, page = ctx.config.invite_valid_for.days, f"{ctx.config.web_url}/q/{token}"
    if not ctx.config.bot_username:  # no Telegram bot here (Feishu only): the web page
        ctx.actions.append(Send(ctx.chat_id, say("invite_web_only", ctx.lang,
                                                 customer=customer.name, days=days, link=page)))
        return
    link = f"https://t.me/{ctx.config.bot_username}?start={token}"
    text = say("invite_link", ctx.lang, customer=customer.name, days=days, link=link)
    web = say("invite_web_link", ctx.lang, link=page)
    ctx.actions.append(Send(ctx.chat_id, f"{text}\n\n{web}"))


async def _card(ctx: Ctx, customer: Customer) -> None:
    """The information card: its fields, contacts, record quality, and the latest answers."""
    card = await read_card(ctx.session, ctx.interviews, customer, ctx.lang,
                           reader=ctx.respondent.actor, channel=ctx.incoming.channel, now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(card_lines(card, ctx.flows,
                                                                   ctx.lang)))))


async def _brief(ctx: Ctx, customer: Customer) -> None:
    """Before the call: what we know, what is missing, what to ask next."""
    brief = await read_brief(ctx.session, ctx.interviews, customer, ctx.lang,
                             reader=ctx.respondent.actor, channel=ctx.incoming.channel,
                             now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(brief_lines(
        brief, ctx.flows, ctx.lang, ctx.interviews.zone)))))


def card_lines(card: Card, flows: Mapping[str, Flow], lang: str) -> list[str]:
    """The card as lines of text, for a chat message or a terminal."""
    customer = card.customer
    choices = choice_labels(dict(flows), lang)
    lines = [f"🗂 {customer.name} (#{customer.id})"]
    lines += [warning_line(w, lang) for w in card.warnings]
    lines += [f"{label}: {value}" for label, value in card_values(customer, choices, lang)]
    if customer.last_contact_at is not None:
        lines.append(f"{say('last_contact', lang)}: {customer.last_contact_at.date()}")
    if customer.tags:
        lines.append(f"{say('tags', lang)}: "
                     f"{', '.join(labels.tag(t, lang) for t in customer.tags)}")
    if card.co_owners:
        lines.append(f"{say('co_owners', lang)}: {', '.join(card.co_owners)}")
    lines += [_contact_line(contact, choices) for contact in card.contacts]
    lines += [f"📝 {note.created_at.date()} {note.text}" for note in card.notes]
    lines.append("—")
    lines += quality_lines(card.quality, lang)
    shown = [line for flow_id, answer in card.latest
             if (line := _answer_line(flows.get(flow_id), answer, lang))]
    if shown:
        lines.append("—")
        lines += shown
    return lines


def _answer_line(flow: Flow | None, answer: Answer, lang: str) -> str | None:
    """A recent answer as people read it: the card field or the question, and the answer
    in words (choice labels, not ids)."""
    if answer.value is None or flow is None:
        return None
    try:
        question = flow.question(answer.question_id)
    except KeyError:
        return None
    what = field_label(question.maps_to, lang) if question.maps_to else clip_label(
        header_text(flow, question.id, lang))
    return f"{what}: {display(question, answer.value, answer.other_text, lang)}"


async def _history(ctx: Ctx, customer: Customer) -> None:
    """Who touched this customer's record, newest first (staff by name, never a
    customer's Telegram id)."""
    entries, staff = await audit_trail.history(
        ctx.session, customer.id, limit=HISTORY_LINES, reader=ctx.respondent.actor,
        channel=ctx.incoming.channel, now=ctx.now)
    lines = [say("history_title", ctx.lang, customer=customer.name, count=len(entries))]
    for entry in entries:
        who = staff.get(entry.actor) or (say("the_customer", ctx.lang)
                                         if entry.actor.startswith("tg:") else entry.actor)
        lines.append(history_line(entry, who, ctx.lang,
                                  entry.at.astimezone(ctx.interviews.zone)))
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(lines))))


def history_line(entry: AuditEntry, who: str, lang: str, at: datetime) -> str:
    """One audit entry in words: when, who, what (and which fields), how; never ids."""
    names = [field_label(f, lang) for f in entry.fields]
    fields = (f"（{'、'.join(names)}）" if lang == "zh" else f" ({', '.join(names)})") \
        if names else ""
    refused = labels.label("outcome.refused", lang) if entry.outcome != "ok" else ""
    return (f"• {at:%Y-%m-%d %H:%M} {who} {labels.label('action.' + entry.action, lang)}"
            f"{fields} · {labels.label('channel.' + entry.channel, lang)}{refused}")


def _contact_line(contact: Contact, choices: dict[str, dict[str, str]]) -> str:
    role = label_of(choices, "contact.decision_role", contact.decision_role)
    parts = [contact.name, contact.title, contact.department, role, contact.phone,
             contact.email, contact.messenger_id]
    return "👤 " + " · ".join(str(p) for p in parts if p)


async def list_customers(ctx: Ctx) -> None:
    assert ctx.user is not None
    found = await visible_customers(ctx.session, ctx.user)
    if not found:
        ctx.actions.append(Send(ctx.chat_id, say("customers_none", ctx.lang)))
        return
    lines = [say("customers_list", ctx.lang)]
    for c in found:
        last = c.last_contact_at.date().isoformat() if c.last_contact_at else "—"
        lines.append(f"• {c.name} · {labels.grade(c.grade, ctx.lang)} · "
                     f"{labels.priority(c.priority, ctx.lang)} · {last}")
    ctx.actions.append(Send(ctx.chat_id, "\n".join(lines)))


async def add_user(ctx: Ctx, args: str) -> None:
    parts = args.split(maxsplit=2)
    if len(parts) < 3 or not parts[0].isdecimal() or parts[1] not in accounts.ROLES:
        ctx.actions.append(Send(ctx.chat_id, say("adduser_usage", ctx.lang)))
        return
    telegram_id, role, name = int(parts[0]), parts[1], parts[2].strip()[:200]
    await team_members.register(ctx.session, telegram_id=telegram_id, open_id=None, role=role,
                                name=name, manager_id=None, actor=ctx.respondent.actor,
                                channel=ctx.incoming.channel, now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, say("user_added", ctx.lang, name=name,
                                             role=labels.role(role, ctx.lang))))
