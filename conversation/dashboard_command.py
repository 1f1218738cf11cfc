"""/dashboard: a one-time link that signs this Telegram account in to the web dashboard
(valid 10 minutes, usable once; the dashboard shows what the account may see here)."""

from __future__ import annotations

from chat.actions import Send
from conversation.context import Ctx
from conversation.texts import say
from storage import audit, web_access


async def dashboard(ctx: Ctx, _args: str) -> None:
    assert ctx.user is not None
    token = await web_access.make_link(ctx.session, ctx.user.id, ctx.now)
    await audit.append(ctx.session, at=ctx.now, actor=ctx.respondent.key, action="web.link",
                       entity="user", entity_id=ctx.user.id, channel="telegram")
    link = f"{ctx.config.web_url}/login?token={token}"
    ctx.actions.append(Send(ctx.chat_id, say("dashboard_link", ctx.lang, link=link)))
