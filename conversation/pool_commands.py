"""The team pool in chat (公海): `/pool [grade] [name]` lists it, `/claim <customer>` takes
one (a manager: `/claim <customer> <member id>` gives it to a rep of the team), `/exempt
<customer> [off]` keeps a key account out of it (managers)."""

from __future__ import annotations

from chat.actions import Send, clip
from conversation.context import Ctx
from flows.i18n import from_catalog
from services import team_pool
from services.access import can_see, visible_customers
from services.customer_search import name_customer
from storage import accounts

TEXTS: dict[str, dict[str, str]] = {
    "pool_title": {"zh": "团队公海共 {total} 家客户（最久的在前）：",
                   "en": "The team pool holds {total} customer(s), longest there first:"},
    "pool_line": {"zh": "• {name} · {grade} · {day} 自 {owner} 退回",
                  "en": "• {name} · {grade} · from {owner} on {day}"},
    "pool_more": {"zh": "……还有 {n} 家，可用 /pool 等级 或 /pool 名称 缩小范围。",
                  "en": "… and {n} more: /pool <grade> or /pool <name> narrows it."},
    "pool_empty": {"zh": "团队公海里现在没有客户。", "en": "The team pool is empty."},
    "pool_hint": {"zh": "用 /claim 客户名 认领。", "en": "/claim <customer> takes one."},
    "claim_usage": {"zh": "用法：/claim 客户名（主管：/claim 客户名 成员ID）",
                    "en": "Usage: /claim <customer> (managers: /claim <customer> <member id>)"},
    "claim_none": {"zh": "团队公海里没有叫“{name}”的客户。用 /pool 查看。",
                   "en": "No customer called “{name}” in the team pool. /pool lists it."},
    "claim_many": {"zh": "“{name}”可能是：{names}。请写得更完整，或用 #编号。",
                   "en": "“{name}” could be: {names}. Say more of the name, or use #id."},
    "claimed": {"zh": "✅ {customer} 现在由 {owner} 负责。下次回访：{due}。",
                "en": "✅ {owner} now owns {customer}. Next revisit: {due}."},
    "exempt_usage": {"zh": "用法：/exempt 客户名 [off]", "en": "Usage: /exempt <customer> [off]"},
    "exempt_on": {"zh": "🔒 {customer} 不会退回公海（重点客户）。",
                  "en": "🔒 {customer} never goes back to the pool (a key account)."},
    "exempt_off": {"zh": "{customer} 重新按公海规则管理。",
                   "en": "{customer} follows the pool's rules again."},
    "exempt_not_found": {"zh": "找不到你可管理的客户“{name}”。",
                         "en": "No customer “{name}” among those you look after."},
    "no_member": {"zh": "找不到成员 {who}。", "en": "No member {who}."},
}


def say(key: str, lang: str, **params: object) -> str:
    return from_catalog(TEXTS, key, lang, **params)


async def pool(ctx: Ctx, args: str) -> None:
    assert ctx.user is not None
    words = args.split()
    grade = words[0].upper() if words and words[0].upper() in team_pool.GRADES else ""
    query = " ".join(words[1:] if grade else words)
    try:
        entries, total = await team_pool.listing(ctx.session, ctx.user, grade=grade,
                                                 query=query, lang=ctx.lang)
    except team_pool.PoolError as exc:
        ctx.actions.append(Send(ctx.chat_id, str(exc)))
        return
    if not entries:
        ctx.actions.append(Send(ctx.chat_id, say("pool_empty", ctx.lang)))
        return
    lines, shown = [say("pool_title", ctx.lang, total=total)], 0
    for e in entries:
        line = say("pool_line", ctx.lang, name=f"{e.name} (#{e.id})", grade=e.grade or "—",
                   owner=e.released_from, day=e.released_at.date().isoformat())
        if sum(len(x) + 1 for x in lines) + len(line) > 3600:  # one message, never clipped
            break
        lines.append(line)
        shown += 1
    if total > shown:
        lines.append(say("pool_more", ctx.lang, n=total - shown))
    lines.append(say("pool_hint", ctx.lang))
    ctx.actions.append(Send(ctx.chat_id, clip("\n".join(lines))))


async def claim(ctx: Ctx, args: str) -> None:
    assert ctx.user is not None
    words, taker = args.split(), ctx.user
    if len(words) > 1 and words[-1].isdecimal() and ctx.user.role in ("manager", "admin"):
        member = await accounts.user_at(ctx.session, int(words[-1]))
        if member is None:
            ctx.actions.append(Send(ctx.chat_id, say("no_member", ctx.lang, who=words[-1][:20])))
            return
        taker, words = member, words[:-1]
    name = " ".join(words)
    if not name:
        ctx.actions.append(Send(ctx.chat_id, say("claim_usage", ctx.lang)))
        return
    found = await team_pool.find_in_pool(ctx.session, ctx.user, name)
    if len(found) != 1:
        key = "claim_none" if not found else "claim_many"
        names = "、".join(f"{c.name[:60]} (#{c.id})" for c in found[:5])
        ctx.actions.append(Send(ctx.chat_id, say(key, ctx.lang, name=name[:100], names=names)))
        return
    try:
        customer = await team_pool.claim(
            ctx.session, taker, found[0], rules=ctx.interviews.pool_rules,
            planner=ctx.interviews.planner, actor=ctx.respondent.actor,
            channel=ctx.incoming.channel, now=ctx.now, lang=ctx.lang,
            by=ctx.user if taker is not ctx.user else None)
    except team_pool.PoolError as exc:
        ctx.actions.append(Send(ctx.chat_id, str(exc)))
        return
    due = customer.revisit_due_on.isoformat() if customer.revisit_due_on else "—"
    ctx.actions.append(Send(ctx.chat_id, say("claimed", ctx.lang, customer=customer.name,
                                             owner=taker.name, due=due)))


async def exempt(ctx: Ctx, args: str) -> None:
    assert ctx.user is not None
    words = args.split()
    off = bool(words) and words[-1].lower() in ("off", "取消")
    name = " ".join(words[:-1] if off else words)
    if not name:
        ctx.actions.append(Send(ctx.chat_id, say("exempt_usage", ctx.lang)))
        return
    user = ctx.user
    named = await name_customer(ctx.session, name, lambda c: can_see(ctx.session, user, c),
                                lambda: visible_customers(ctx.session, user, limit=2000))
    if len(named.found) != 1:
        ctx.actions.append(Send(ctx.chat_id, say("exempt_not_found", ctx.lang,
                                                 name=name[:100])))
        return
    customer = named.found[0]
    await team_pool.exempt(ctx.session, customer, not off, actor=ctx.respondent.actor,
                           channel=ctx.incoming.channel, now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, say("exempt_off" if off else "exempt_on", ctx.lang,
                                             customer=customer.name)))
