"""What the figures were measured on: CPU, Python and library versions, SQLite pragmas."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path

PACKAGES = ["aiogram", "python-telegram-bot", "sqlalchemy", "aiosqlite", "asyncpg", "aiohttp",
            "apscheduler", "redis", "cryptography"]


def describe() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    facts = {"CPU": f"{cpu}, {os.cpu_count()} cores (bot on core 0, load on core 1)",
             "Python": platform.python_version(), "SQLite": sqlite3.sqlite_version,
             "SQLite pragmas (ours)": "journal_mode=WAL, synchronous=NORMAL, "
                                      "BEGIN IMMEDIATE per transaction",
             "PostgreSQL": "local server over TCP (127.0.0.1), default settings"}
    for package in PACKAGES:
        try:
            facts[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            facts[package] = "not installed"
    return facts
