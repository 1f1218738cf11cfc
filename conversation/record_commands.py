"""/merge and /coowner (managers): fold a duplicate record into another, and put a second
rep on a customer. Both customers must be in the manager's scope."""

from __future__ import annotations

from chat.actions import Send
from conversation.card_commands import split_first
from conversation.context import Ctx
from conversation.texts import say
from services import co_ownership, customer_search
from services.access import can_see
from services.record_merge import merge_records, report_lines
from services.record_merge import say as merge_say
from storage import accounts
from storage.models import Customer


async def _one(ctx: Ctx, name: str) -> Customer | None:
    """The one customer `name` means, in scope; otherwise a reply saying why not."""
    assert ctx.user is not None
    matches = await customer_search.search(ctx.session, name)
    found = [c for c in matches if await can_see(ctx.session, ctx.user, c)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listed = ", ".join(f"{c.name} #{c.id}" for c in found[:10])
        ctx.actions.append(Send(ctx.chat_id, say("record_ambiguous", ctx.lang, name=name,
                                                 found=listed)))
    elif matches:
        ctx.actions.append(Send(ctx.chat_id, say("not_yours", ctx.lang)))
    else:
        ctx.actions.append(Send(ctx.chat_id, say("record_unknown", ctx.lang, name=name)))
    return None


async def merge(ctx: Ctx, args: str) -> None:
    first, rest = split_first(args)
    if not first or not rest:
        ctx.actions.append(Send(ctx.chat_id, say("merge_usage", ctx.lang)))
        return
    duplicate = await _one(ctx, first)
    kept = await _one(ctx, rest) if duplicate is not None else None
    if duplicate is None or kept is None:
        return
    if duplicate.id == kept.id:
        ctx.actions.append(Send(ctx.chat_id, merge_say("same", ctx.lang)))
        return
    name, old = duplicate.name, duplicate.id
    report = await merge_records(ctx.session, duplicate, kept, actor=ctx.respondent.actor,
                                 channel=ctx.incoming.channel, now=ctx.now,
                                 planner=ctx.interviews.planner)
    person = await accounts.user_by(ctx.session, user_id=report.co_owner) \
        if report.co_owner else None
    lines = report_lines(report, name, old, kept, ctx.lang, person.name if person else None)
    ctx.actions.append(Send(ctx.chat_id, "\n".join(lines)))


async def co_owner(ctx: Ctx, args: str) -> None:
    """`/coowner Acme 123456` adds the rep with that Telegram id; `-123456` removes them."""
    assert ctx.user is not None
    name, rest = split_first(args)
    who = rest.strip()
    removing = who.startswith("-")
    if not name or not who.lstrip("-").isdecimal() or len(who) > 16:
        ctx.actions.append(Send(ctx.chat_id, say("coowner_usage", ctx.lang)))
        return
    customer = await _one(ctx, name)
    if customer is None:
        return
    done = await co_ownership.change(ctx.session, customer, int(who.lstrip("-")),
                                     remove=removing, by=ctx.user, actor=ctx.respondent.actor,
                                     channel=ctx.incoming.channel, now=ctx.now)
    if done is None:
        ctx.actions.append(Send(ctx.chat_id, say("coowner_not_team", ctx.lang, id=who)))
        return
    ctx.actions.append(Send(ctx.chat_id, say(f"coowner_{done.outcome}", ctx.lang,
                                             name=done.person.name, customer=customer.name)))
