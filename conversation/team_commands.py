"""Admins change staff (/setrole, /deactivate); managers move customers between their
reps (/reassign). The checks on who may touch whom live in storage.staff and here."""

from __future__ import annotations

from chat.actions import Send
from conversation import labels
from conversation.context import Ctx
from conversation.texts import say
from storage import accounts, staff
from storage.models import User
from storage.reporting import visible_owner_ids


async def _person(ctx: Ctx, word: str) -> User | None:
    if not word.isdecimal():
        return None
    return await accounts.user_at(ctx.session, int(word))


async def set_role(ctx: Ctx, args: str) -> None:
    parts = args.split()
    if len(parts) != 2 or parts[1] not in accounts.ROLES:
        ctx.actions.append(Send(ctx.chat_id, say("setrole_usage", ctx.lang)))
        return
    user = await _person(ctx, parts[0])
    if user is None:
        ctx.actions.append(Send(ctx.chat_id, say("no_such_user", ctx.lang, who=parts[0][:20])))
        return
    await staff.set_role(ctx.session, user, parts[1], actor=ctx.respondent.actor,
                         channel=ctx.incoming.channel, now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, say("role_set", ctx.lang, name=user.name,
                                             role=labels.role(parts[1], ctx.lang))))


async def deactivate(ctx: Ctx, args: str) -> None:
    word = args.strip()
    user = await _person(ctx, word)
    if user is None:
        ctx.actions.append(Send(ctx.chat_id, say("no_such_user", ctx.lang, who=word[:20] or "—")))
        return
    try:
        await staff.deactivate(ctx.session, user, actor=ctx.respondent.actor,
                               channel=ctx.incoming.channel, now=ctx.now)
    except staff.StaffError:  # still owns customers (the refusal is audited)
        owned = await staff.owned_count(ctx.session, user.id)
        ctx.actions.append(Send(ctx.chat_id, say("deactivate_owns", ctx.lang, name=user.name,
                                                 count=owned, id=word)))
        return
    ctx.actions.append(Send(ctx.chat_id, say("deactivated", ctx.lang, name=user.name)))


async def reassign(ctx: Ctx, args: str) -> None:
    """/reassign <from telegram id> <to telegram id>: a manager within their team."""
    assert ctx.user is not None
    parts = args.split()
    if len(parts) != 2:
        ctx.actions.append(Send(ctx.chat_id, say("reassign_usage", ctx.lang)))
        return
    source, target = await _person(ctx, parts[0]), await _person(ctx, parts[1])
    for word, person in zip(parts, (source, target), strict=True):
        if person is None:
            ctx.actions.append(Send(ctx.chat_id, say("no_such_user", ctx.lang, who=word[:20])))
            return
    assert source is not None and target is not None
    if source.id == target.id:
        ctx.actions.append(Send(ctx.chat_id, say("reassign_same", ctx.lang)))
        return
    team = await visible_owner_ids(ctx.session, ctx.user)
    if team is not None and not {source.id, target.id} <= team:
        ctx.actions.append(Send(ctx.chat_id, say("not_your_team", ctx.lang)))
        return
    moved = await staff.reassign(ctx.session, source, target, actor=ctx.respondent.actor,
                                 channel=ctx.incoming.channel, now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, say(
        "reassigned", ctx.lang, count=len(moved.customers), source=source.name,
        target=target.name, reminders=moved.reminders, invites=moved.invites)))
