"""`interview-bot web --workers N`: N server processes on one port (SO_REUSEPORT, the
kernel spreads the connections), forked from this one; a stop (SIGTERM, Ctrl-C) stops them
all, and so does one of them ending: the supervisor (systemd, Docker) starts the set again."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

_first: list[int] = []


def first_worker() -> int:
    """The pid of the first worker (the one that says where the server listens)."""
    return _first[0] if _first else os.getpid()


def run(count: int, serve: Callable[[], None]) -> int:
    """Fork `count` workers running `serve`; wait. Returns the exit status for the shell."""
    children: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # a worker: serve until stopped
            _first.append(children[0] if children else os.getpid())
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                serve()
            except KeyboardInterrupt:
                os._exit(0)
            except BaseException:  # printed like any crash; the parent stops the others
                import traceback
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    left = set(children)
    while left:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        left.discard(pid)
        if os.waitstatus_to_exitcode(code) not in (0, -signal.SIGTERM):
            status = 1
        stop(signal.SIGTERM, None)  # one gone: the set goes (and is started again)
    sys.stdout.flush()
    return status
