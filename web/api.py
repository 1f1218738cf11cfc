"""The read API, `/api/v1/…` on the web server: JSON for the team's other systems (a CRM,
a BI tool). A token (`Authorization: Bearer ibt_…`) reads what its person may see; each
call is one use case of services.api_reads, rate-limited per token, with an ETag so a
client that sends `If-None-Match` gets 304 when nothing changed. The document of it all is
at `/api/v1/openapi.json` (web.api_schema)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from services import api_reads
from services.api_access import ApiError, Caller, authenticate
from web.api_schema import document
from web.pages import CONFIG

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
RATE, BURST = 20.0, 40.0  # calls a second per token, and the burst allowed
Read = Callable[[AsyncSession, Caller, web.Request], Awaitable[dict[str, Any]]]


class Buckets:
    """A token bucket per API token, in this process."""

    def __init__(self, rate: float = RATE, burst: float = BURST) -> None:
        self.rate, self.burst = rate, burst
        self.levels: dict[int, tuple[float, float]] = {}

    def wait(self, token_id: int) -> float:
        """0 when the call may go now (and it is counted), else the seconds to wait."""
        now = time.monotonic()
        level, then = self.levels.get(token_id, (self.burst, now))
        level = min(self.burst, level + (now - then) * self.rate)
        if level < 1:
            self.levels[token_id] = (level, now)
            return (1 - level) / self.rate
        self.levels[token_id] = (level - 1, now)
        return 0.0


BUCKETS = web.AppKey("api_buckets", Buckets)


def add_routes(app: web.Application) -> None:
    app[BUCKETS] = Buckets()
    app.router.add_get(f"{PREFIX}/openapi.json", openapi)
    app.router.add_get(f"{PREFIX}/customers", _endpoint(_customers))
    app.router.add_get(PREFIX + "/customers/{id:[0-9]+}", _endpoint(_about(api_reads.card)))
    for part, read in (("interviews", api_reads.interviews),
                       ("reminders", api_reads.customer_reminders),
                       ("warnings", api_reads.warnings)):
        app.router.add_get(PREFIX + "/customers/{id:[0-9]+}/" + part, _endpoint(_about(read)))


def _error(status: int, code: str, detail: str, **headers: str) -> web.Response:
    return web.json_response({"error": code, "detail": detail}, status=status,
                             headers=headers)


def _endpoint(read: Read) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        config = request.app[CONFIG]
        now = config.clock()
        try:
            async with config.sessions.begin() as session:
                caller = await authenticate(session, request.headers.get("Authorization"),
                                            now)
                wait = request.app[BUCKETS].wait(caller.token_id)
                if wait:
                    seconds = str(max(1, round(wait)))
                    return _error(429, "rate_limited", f"at most {RATE:g} calls a second per "
                                  f"token; try again in {seconds} s", **{"Retry-After": seconds})
                body = await read(session, caller, request)
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.detail)
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return _error(500, "server_error", "the server failed; the call can be retried")
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        tag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
        if tag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers={"ETag": tag})
        return web.Response(text=text, content_type="application/json", headers={"ETag": tag})
    return handle


async def _customers(session: AsyncSession, caller: Caller,
                     request: web.Request) -> dict[str, Any]:
    query = request.query
    return await api_reads.customer_page(
        session, caller, query=query.get("q", ""), grade=query.get("grade", ""),
        cursor=query.get("cursor"), limit=api_reads.limit_of(query.get("limit")),
        now=request.app[CONFIG].clock())


def _about(read: Callable[..., Awaitable[dict[str, Any]]]) -> Read:
    async def handle(session: AsyncSession, caller: Caller,
                     request: web.Request) -> dict[str, Any]:
        return await read(session, caller, int(request.match_info["id"]),
                          request.app[CONFIG].clock())
    return handle


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(document())
