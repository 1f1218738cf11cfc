"""`interview-bot web --workers N`: N processes answer on one port; a stop stops them all,
and one dying ends the set (with a failure status, for the supervisor to start it again)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.ports import free_port


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _start(port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SECURITY_DEMO": "true",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"}
    with (tmp_path / "web.log").open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "interview_bot", "web", "--workers",
                                 "2", "--port", str(port)], env=env, cwd=tmp_path,
                                stdout=log, stderr=subprocess.STDOUT)


async def _serving(port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    server = _start(port, tmp_path)
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            assert server.poll() is None, (tmp_path / "web.log").read_text()
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200 and len(_children(server.pid)) == 2:
                        return server
            await asyncio.sleep(0.05)
    server.kill()
    server.wait()
    raise AssertionError("the web server never answered")


async def test_two_workers_answer_on_one_port_and_stop_together(tmp_path: Path) -> None:
    port = free_port()
    server = await _serving(port, tmp_path)
    workers = _children(server.pid)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(20):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
        log = tmp_path / "web.log"
        for _ in range(200):  # the first worker says where it listens, the second does not
            if "dashboard on http://" in log.read_text():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert log.read_text().count("dashboard on http://") == 1
        server.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.wait, 15) == 0
        assert not any(_alive(w) for w in workers)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


async def test_a_worker_dying_ends_the_set_with_a_failure(tmp_path: Path) -> None:
    port = free_port()
    server = await _serving(port, tmp_path)
    first, second = _children(server.pid)
    try:
        os.kill(first, signal.SIGKILL)
        assert await asyncio.to_thread(server.wait, 15) == 1
        assert not _alive(second)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
