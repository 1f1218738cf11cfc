"""What went wrong, in one line: the errors people meet running the program (a database
that is down or missing, a bad URL, a read-only file, a missing key), told as what is
wrong, which setting, and what to do. Anything else is a bug and keeps its traceback.

`interview-bot --debug …` or LOG_LEVEL=DEBUG shows the traceback for these too.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError

from interview_bot.app import EncryptionNotConfigured
from storage.crypto import DecryptionError, KeyProblem
from storage.database import DatabaseUrlError

# errors whose message is already the one line a person needs
SAYS_IT_ALL: tuple[type[BaseException], ...] = (
    DatabaseUrlError, DecryptionError, EncryptionNotConfigured, KeyProblem)

SQLITE_PROBLEMS = {
    "attempt to write a readonly database":
        "the SQLite database is read-only (its file or folder permissions, or ?mode=ro in "
        "DATABASE_URL): give this user write access, or point DATABASE_URL at a writable file",
    "unable to open database file":
        "cannot open the SQLite database file: check that its folder exists and this user "
        "may write there (DATABASE_URL)",
    "file is not a database":
        "DATABASE_URL points at a file that is not a SQLite database",
    "database is locked":
        "the SQLite database stayed locked by another process for over 10 s: try again "
        "when it has finished",
    "database or disk is full":
        "the disk holding the SQLite database is full: free some space and try again",
}

# asyncpg's exception class names, for the server's refusals
POSTGRES_PROBLEMS = {
    "InvalidCatalogNameError": "create the database (`createdb NAME`) or fix the name in "
                               "DATABASE_URL",
    "InvalidAuthorizationSpecificationError": "create the role (`createuser NAME`) or fix "
                                              "the user in DATABASE_URL",
    "InvalidPasswordError": "fix the password in DATABASE_URL",
    "InsufficientPrivilegeError": "grant this role the rights it needs, or use another in "
                                  "DATABASE_URL",
    "TooManyConnectionsError": "the server has no free connection: try again, or raise "
                               "its max_connections",
    "ReadOnlySQLTransactionError": "DATABASE_URL points at a read-only server (a standby): "
                                   "use the primary",
}


def debug_requested(argv: list[str]) -> bool:
    """`--debug` anywhere on the command line (taken out of it), or LOG_LEVEL=DEBUG."""
    found = "--debug" in argv
    while "--debug" in argv:
        argv.remove("--debug")
    return found or os.environ.get("LOG_LEVEL", "").upper() == "DEBUG"


def explain(exc: BaseException) -> str | None:
    """One line for an operational error, or None for anything else (a bug)."""
    for error in _chain(exc):
        if isinstance(error, SAYS_IT_ALL):
            return str(error)
        if isinstance(error, sqlite3.Error):
            text = str(error)
            for known, line in SQLITE_PROBLEMS.items():
                if text.startswith(known):
                    return line
        name = type(error).__name__
        if name in POSTGRES_PROBLEMS:
            return f"PostgreSQL refused: {error} — {POSTGRES_PROBLEMS[name]}"
        if isinstance(error, ConnectionRefusedError | socket.gaierror | TimeoutError):
            return (f"cannot connect to the database server ({_detail(error)}): is PostgreSQL "
                    "running there, and are the host and port in DATABASE_URL right?")
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what the database driver raised beneath it, and their causes."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        error = todo.pop(0)
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        if isinstance(error, DBAPIError) and isinstance(error.orig, BaseException):
            todo.append(error.orig)
        todo += [e for e in (error.__cause__, error.__context__) if e is not None]


def _detail(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__
