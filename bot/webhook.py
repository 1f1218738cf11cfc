"""Webhook mode: check the secret, store the update, commit, then answer 200.

Updates that arrive together are stored together: each request waits for the inbox
worker's next pass, which stores them, handles them and stores the replies in one commit
(as the poller does with a batch); every request is answered once that commit is done.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.inbox_worker import InboxWorker

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


async def health(_request: web.Request) -> web.Response:
    """/healthz of a listener of the bot (the container's health check asks it)."""
    return web.Response(text="ok")


def webhook_app(worker: InboxWorker, secret: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="wrong or missing secret token")
        try:
            update = json.loads(await request.text())
            int(update["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="expected a Telegram update as JSON")
        await worker.stored(update)  # with the others that came meanwhile: one commit
        return web.Response(text="ok")  # only now may Telegram forget the update

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(WEBHOOK_PATH, receive)
    app.router.add_get("/healthz", health)
    return app
