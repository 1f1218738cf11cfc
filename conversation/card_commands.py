"""/note and /edit: a dated note on a customer, or one card field corrected, without a
flow. The customer is found as for /card (conversation.staff_commands.with_customer)."""

from __future__ import annotations

from chat.actions import Send, clip
from conversation.context import Ctx
from conversation.texts import say
from flows.card_fields import field_label
from services.card_editing import EditError, add_note, edit
from storage.models import Customer


def split_first(args: str) -> tuple[str, str]:
    """The customer (first word, or a "quoted name") and the rest."""
    text = args.strip()
    for quote, end in (('"', '"'), ("“", "”"), ("「", "」")):
        if text.startswith(quote) and end in text[1:]:
            name, _, rest = text[1:].partition(end)
            return name.strip(), rest.strip()
    name, _, rest = text.partition(" ")
    return name, rest.strip()


async def on_customer(ctx: Ctx, command: str, customer: Customer, rest: str) -> None:
    assert ctx.user is not None
    if command == "note":
        try:
            await add_note(ctx.session, customer, rest, author_id=ctx.user.id,
                           actor=ctx.respondent.actor, channel=ctx.incoming.channel, now=ctx.now)
        except EditError as exc:
            ctx.actions.append(Send(ctx.chat_id, say("note_usage", ctx.lang, problem=exc)))
            return
        ctx.actions.append(Send(ctx.chat_id, say("note_saved", ctx.lang, customer=customer.name)))
        return
    field, _, value = rest.partition(" ")
    if not field or not value.strip():
        ctx.actions.append(Send(ctx.chat_id, say("edit_usage", ctx.lang)))
        return
    try:
        edited = await edit(ctx.session, ctx.flows, customer, field, value.strip(),
                            lang=ctx.lang, today=ctx.today, now=ctx.now,
                            actor=ctx.respondent.actor, channel=ctx.incoming.channel,
                            planner=ctx.interviews.planner)
    except EditError as exc:
        ctx.actions.append(Send(ctx.chat_id, clip(f"⚠️ {exc}\n\n" + say("edit_usage", ctx.lang))))
        return
    lines = [say("edit_saved", ctx.lang, customer=customer.name,
                 field=field_label(edited.field, ctx.lang), value=edited.shown)]
    if edited.replanned and customer.revisit_due_on is not None:
        lines.append(say("revisit_replanned", ctx.lang, day=customer.revisit_due_on))
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(lines))))
