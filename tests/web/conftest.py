"""The dashboard under a real headless Chromium (Debian's package, installed here when
missing), served by the real app on a free port, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import FakeClock
from tests.ports import free_port
from tests.storage.helpers import Harness, harness
from web.pages import Dashboard
from web.server import make_app

CHROMIUM = Path("/usr/bin/chromium")
# as the machine notes say: no sandbox as root, and none of Chromium's own network calls
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _install() -> str | None:
    """Install Debian's chromium (and a CJK font) where missing; why not, if it fails."""
    if CHROMIUM.exists():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "no /usr/bin/chromium, and apt-get is not available to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900,
                              check=False)
        if done.returncode != 0 and command[1] == "install":
            return f"apt-get install chromium failed: {done.stderr.strip()[-300:]}"
    return None if CHROMIUM.exists() else "chromium did not install"


@pytest.fixture(scope="session")
def chromium() -> Path:
    problem = _install()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)
    return CHROMIUM


@dataclass
class Site:
    h: Harness
    base: str
    browser: Any  # playwright's Browser


@pytest.fixture
def site_flows(shipped_flows: dict) -> dict:
    return shipped_flows


@pytest.fixture
async def site(db_url: str, site_flows: dict, clock: FakeClock,
               chromium: Path) -> AsyncIterator[Site]:
    from playwright.async_api import async_playwright

    async with harness(db_url, site_flows, clock) as h:
        dashboard = Dashboard(h.sessions, site_flows, clock, "Asia/Shanghai",
                              interviews=h.service)
        runner = web.AppRunner(make_app(dashboard), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(chromium),
                                                           args=ARGS)
                try:
                    yield Site(h, f"http://127.0.0.1:{port}", browser)
                finally:
                    await browser.close()
        finally:
            await runner.cleanup()
