"""/dashboard: a one-time link that signs this Telegram account in to the web dashboard
(valid 10 minutes, usable once; the dashboard shows what the account may see here)."""

from __future__ import annotations

from chat.actions import Send
from conversation.context import Ctx
from conversation.texts import say
from services.sign_in_links import sign_in_link


async def dashboard(ctx: Ctx, _args: str) -> None:
    assert ctx.user is not None
    link = await sign_in_link(ctx.session, ctx.user, ctx.config.web_url,
                              actor=ctx.respondent.actor, channel=ctx.incoming.channel,
                              now=ctx.now)
    ctx.actions.append(Send(ctx.chat_id, say("dashboard_link", ctx.lang, link=link)))
