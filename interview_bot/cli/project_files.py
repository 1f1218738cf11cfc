"""Where the command line finds its `.env` and its SQLite database, the same way from any
folder: `.env` in the working folder or the nearest folder above it (as git finds its
repository), and a relative SQLite path beside that `.env`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from interview_bot.settings import Settings


class PathProblem(ValueError):
    """A database location that would start an empty database by mistake; one line."""


def find_env_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".env").is_file():
            return folder / ".env"
    return None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, in memory, or not a URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # storage.database says what is wrong with it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def placed(url: str, base: Path, *, explicit: bool) -> str:
    """The URL with a relative SQLite path made absolute against `base`; a path someone
    gave whose folder does not exist is refused (a typo must not start an empty database)."""
    path = sqlite_path(url)
    if path is None:
        return url
    absolute = path if path.is_absolute() else base / path
    if explicit and not absolute.parent.is_dir():
        raise PathProblem(f"DATABASE_URL: the folder {absolute.parent} of the SQLite database "
                          "does not exist: fix the path, or create the folder first (a "
                          "mistyped path would start a new, empty database)")
    return make_url(url).set(database=str(absolute)).render_as_string(hide_password=False)


def database_settings(settings: Settings, env_file: Path | None, cwd: Path,
                      creates: bool) -> Settings:
    """Settings whose SQLite database is where the project keeps it. Without a .env and
    DATABASE_URL, a command that only reads refuses to make an empty database in the
    working folder (`run`, `chat` and `db upgrade` start one there, as on a first run)."""
    explicit = "url" in settings.database.model_fields_set
    url = settings.database.url
    path = sqlite_path(url)
    if (not creates and not explicit and env_file is None and path is not None
            and not (cwd / path).exists()):
        raise PathProblem(f"no database here: DATABASE_URL is not set and there is no .env "
                          f"in {cwd} or a folder above it. Run this from the project's "
                          "folder (where `make run` wrote .env), or set DATABASE_URL")
    base = env_file.parent if env_file is not None else cwd
    settings.database.url = placed(url, base, explicit=explicit)
    return settings
