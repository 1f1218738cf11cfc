"""Two reps chasing one customer (撞单), in chat: a rep who names a customer that is someone
else's hears whose it is and picks — ask the owner to share it, ask their manager, or go on
as a different company, saying why (services.duplicates)."""

from __future__ import annotations

from chat.actions import Button, Send
from conversation.context import Ctx
from conversation.interview_replies import mark_pressed
from conversation.render import clip_label
from flows.i18n import from_catalog
from services import duplicates
from storage import customers
from storage.models import Customer

TEXTS: dict[str, dict[str, str]] = {
    "looks_like": {"zh": "“{name}”看起来是 {owner} 负责的 {customer}（#{id}）。请选择：",
                   "en": "“{name}” looks like {customer} (#{id}), which {owner} owns. "
                         "Choose:"},
    "ask_owner": {"zh": "请 {owner} 共享给我", "en": "Ask {owner} to share it"},
    "ask_manager": {"zh": "请主管处理", "en": "Ask my manager"},
    "different": {"zh": "这是另一家公司", "en": "It is a different company"},
    "asked_owner": {"zh": "已请 {owner} 共享 {customer}；TA 同意后你会收到通知。",
                    "en": "{owner} is asked to share {customer}; you will hear when they agree."},
    "asked_manager": {"zh": "已告知你的主管 {manager}。", "en": "Your manager {manager} is told."},
    "why_different": {"zh": "请写一句为什么“{name}”是另一家公司"
                            "（例如统一社会信用代码、地址不同）：",
                      "en": "In one line: why is “{name}” a different company (another "
                            "registration number, another address)?"},
    "shared_done": {"zh": "✅ {requester} 现在是 {customer} 的共同负责人。",
                    "en": "✅ {requester} is now a co-owner of {customer}."},
}


def say(key: str, lang: str, **params: object) -> str:
    return from_catalog(TEXTS, key, lang, **params)


async def offer(ctx: Ctx, command: str, name: str, rest: str, like: Customer) -> None:
    owner = await customers.owner_of(ctx.session, like)
    who = owner.name if owner else "—"
    ctx.account.pending = {"command": command, "name": name, "rest": rest, "like": like.id}
    buttons = ((Button(clip_label(say("ask_owner", ctx.lang, owner=who)), f"dup:o.{like.id}"),),
               (Button(say("ask_manager", ctx.lang), f"dup:m.{like.id}"),),
               (Button(say("different", ctx.lang), f"dup:n.{like.id}"),))
    ctx.actions.append(Send(ctx.chat_id, say("looks_like", ctx.lang, name=name[:100],
                                             owner=who, customer=like.name, id=like.id),
                            buttons))


async def chosen(ctx: Ctx, argument: str) -> bool:
    """A press on one of the three choices `offer` left."""
    choice, _, number = argument.partition(".")
    pending = ctx.account.pending or {}
    if ctx.user is None or not number.isdecimal() or pending.get("like") != int(number):
        return False
    like = await customers.get(ctx.session, int(number))
    if like is None:
        return False
    actor, channel = ctx.respondent.actor, ctx.incoming.channel
    try:
        if choice == "o":
            owner = await duplicates.ask_owner(ctx.session, ctx.user, like, actor=actor,
                                               channel=channel, now=ctx.now, lang=ctx.lang)
            text = say("asked_owner", ctx.lang, owner=owner.name, customer=like.name)
        elif choice == "m":
            manager = await duplicates.ask_manager(ctx.session, ctx.user, like, actor=actor,
                                                   channel=channel, now=ctx.now, lang=ctx.lang)
            text = say("asked_manager", ctx.lang, manager=manager.name)
        elif choice == "n":
            ctx.account.pending = {**pending, "reason_for": like.id}
            text = say("why_different", ctx.lang, name=str(pending.get("name", ""))[:100])
        else:
            return False
    except duplicates.DuplicateError as exc:
        text = str(exc)
    if choice != "n":
        ctx.account.pending = None
    mark_pressed(ctx, None)
    ctx.actions.append(Send(ctx.chat_id, text))
    return True


async def reason_given(ctx: Ctx) -> bool:
    """The text after "a different company": the reason; then the command goes on with the
    new customer. False when no reason was asked for."""
    pending = ctx.account.pending or {}
    like_id = pending.get("reason_for")
    if ctx.user is None or like_id is None or ctx.incoming.kind != "text":
        return False
    like = await customers.get(ctx.session, int(like_id))
    if like is None:
        ctx.account.pending = None
        return False
    try:
        customer = await duplicates.create_anyway(
            ctx.session, ctx.interviews, str(pending.get("name", "")), ctx.user,
            ctx.respondent, like, ctx.incoming.text or "", now=ctx.now, lang=ctx.lang)
    except duplicates.DuplicateError as exc:
        ctx.actions.append(Send(ctx.chat_id, str(exc)))
        return True  # still waiting for a reason
    ctx.account.pending = None
    from conversation.staff_commands import run_on_customer  # it offers these choices

    await run_on_customer(ctx, str(pending.get("command")), customer,
                          str(pending.get("rest", "")))
    return True


async def share(ctx: Ctx, argument: str) -> bool:
    """The owner's "Share it" on a share request: the requester becomes a co-owner."""
    customer_id, _, requester_id = argument.partition(".")
    if ctx.user is None or not (customer_id.isdecimal() and requester_id.isdecimal()):
        return False
    done = await duplicates.share(ctx.session, ctx.user, int(customer_id), int(requester_id),
                                  actor=ctx.respondent.actor, channel=ctx.incoming.channel,
                                  now=ctx.now)
    if done is None:
        return False
    customer, requester = done
    await duplicates.tell_requester(ctx.session, ctx.user, customer, requester, ctx.now)
    mark_pressed(ctx, None)
    ctx.actions.append(Send(ctx.chat_id, say("shared_done", ctx.lang,
                                             requester=requester.name, customer=customer.name)))
    return True
