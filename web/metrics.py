"""`/metrics` in Prometheus's text format, for the bot's metrics listener and the web
server: the queue gauges are read from the database at each scrape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat import metrics
from chat.clock import Clock
from storage import operations

METRICS_PATH = "/metrics"


def metrics_handler(sessions: async_sessionmaker[AsyncSession], clock: Clock
                    ) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def scrape(_request: web.Request) -> web.Response:
        async with sessions() as session:
            seen = await operations.queues(session, clock())
        metrics.INBOX_PENDING.set(seen.inbox_pending)
        metrics.INBOX_LAG.set(seen.inbox_lag_seconds)
        metrics.REMINDERS.labels("pending").set(seen.reminders_pending)
        metrics.REMINDERS.labels("failed").set(seen.reminders_failed_24h)
        metrics.REMINDERS_LATE.set(seen.reminders_late)
        return web.Response(body=generate_latest(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    return scrape


def metrics_app(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> web.Application:
    """The bot's own listener (METRICS_PORT): /metrics and /healthz."""

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get(METRICS_PATH, metrics_handler(sessions, clock))
    app.router.add_get("/healthz", health)
    return app
