"""Webhook mode: check the secret, store the update, commit, then answer 200."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.clock import Clock
from storage import inbox

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


def webhook_app(sessions: async_sessionmaker[AsyncSession], clock: Clock, secret: str,
                wake: asyncio.Event) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="wrong or missing secret token")
        try:
            update = json.loads(await request.text())
            int(update["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="expected a Telegram update as JSON")
        async with sessions.begin() as session:
            await inbox.store(session, [update], clock())
        wake.set()
        return web.Response(text="ok")  # only now may Telegram forget the update

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(WEBHOOK_PATH, receive)
    app.router.add_get("/healthz", health)
    return app
