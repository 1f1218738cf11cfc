"""The HTTP runner every server of ours uses (dashboard, questionnaire, webhooks, Feishu's
callback): aiohttp's, except that a request aiohttp refuses before any handler runs (a
malformed request line, a header too long) gets a short page that echoes nothing of the
request and carries the same security headers as every other answer."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

SERVER_NAME = "interview-bot"  # no versions for a scanner to look up
ERROR_HEADERS: Mapping[str, str] = {
    "Server": SERVER_NAME, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class _QuietRequestHandler(RequestHandler):
    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        response = super().handle_error(request, status, exc, f"{status} {phrase}".strip())
        response.headers.update(ERROR_HEADERS)
        return response


class _QuietServer(Server):
    def __call__(self) -> RequestHandler:
        return _QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class Runner(web.AppRunner):
    """`web.AppRunner`, with the quiet error page above."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _QuietServer  # the same object; only its handlers' error page
        return server
