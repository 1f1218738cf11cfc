"""SQLite has no SKIP LOCKED: one reminder dispatcher per database file, enforced by a lock.

The lock is an OS file lock next to the database, so it disappears with a process
that dies; a second dispatcher refuses to start and says why.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class DispatcherLocked(RuntimeError):
    pass


class DispatcherLock:
    def __init__(self, database_file: str) -> None:
        self.database = database_file
        self.path = Path(f"{database_file}.dispatcher.lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise DispatcherLocked(
                f"another reminder dispatcher ({holder}) is running on {self.database}; "
                "SQLite cannot share the reminder queue between processes safely. Run one "
                "bot per SQLite file, or use PostgreSQL (DATABASE_URL) for several.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
