"""A webhook receiver for tests: a real HTTP server that records what arrives and answers
as told (a status, a delay, or down: nothing listening on its port)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.ports import free_port

README = Path(__file__).resolve().parents[1] / "README.md"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    status: Callable[[int], int] = lambda _n: 200  # the answer to the n-th request (from 0)
    delay: float = 0.0
    hold: asyncio.Event | None = None  # when given, no answer until it is set…
    hold_from: int = 0  # …to the requests from this one on
    got: list[Received] = field(default_factory=list)  # every request, answered or not
    answered: int = 0
    port: int = field(default_factory=free_port)
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _handle(self, request: web.Request) -> web.Response:
        n = len(self.got)
        self.got.append(Received(dict(request.headers), await request.read()))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold is not None and n >= self.hold_from:
            await self.hold.wait()
        self.answered += 1
        return web.Response(status=self.status(n), text="noted")

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def until(self, answered: int, seconds: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while self.answered < answered:
            assert asyncio.get_running_loop().time() < deadline, \
                f"{self.answered} of {answered} answered"
            await asyncio.sleep(0.01)

    def accepted(self) -> list[dict[str, Any]]:
        """Events answered 2xx, in arrival order."""
        return [r.event for i, r in enumerate(self.got) if 200 <= self.status(i) < 300]


def readme_receiver() -> str:
    """The receiver example of README "Connecting other systems", as it stands there."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- receiver[^>]*-->\n```python\n(.*?)```", text, re.S)
    assert found, "README lost its receiver example"
    return found.group(1)


def readme_verify(secret: str) -> Callable[..., bool]:
    """The README receiver's `verify`, run from its own text (the server line left out)."""
    code = readme_receiver().replace('os.environ["HOOK_SECRET"]', repr(secret))
    namespace: dict[str, Any] = {}
    exec(code.split("\nHTTPServer(")[0], namespace)
    return namespace["verify"]  # type: ignore[no-any-return]
