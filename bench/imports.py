"""M9: importing a rep's spreadsheet: 50,000 rows on SQLite and PostgreSQL, the importer's
peak memory against a tenth of the file (flat in file size?), and how long another
command's write waits meanwhile (it writes one small transaction every 50 ms).

    python -m bench.imports            # BENCH_M9_ROWS=5000 for a quick look
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench.bots import drop_database, fresh_database
from storage import migrate
from storage.database import create_engine, session_factory
from storage.models import User

ROWS = int(os.environ.get("BENCH_M9_ROWS", "50000"))
HEADER = ["公司名称", "统一社会信用代码", "行业", "员工人数", "联系人", "职务", "手机", "邮箱",
          "客户等级", "优先级", "预算", "需求描述"]


def spreadsheet(path: Path, rows: int) -> Path:
    """A rep's list as reps keep them: GBK, Chinese headers, a contact per company."""
    rng = random.Random(9)
    with path.open("w", newline="", encoding="gbk") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([f"华东测试{i:06d}有限公司", "", rng.choice(["制造", "零售", "软件"]),
                             f"{rng.randint(5, 5000)}人", f"联系人{i}", "采购经理",
                             f"139{i:08d}", f"buyer{i}@example.com", rng.choice("ABCDE"),
                             rng.choice("高中低"), f"{rng.randint(5, 500)}万",
                             "希望减少手工录入，提高报价速度"])
    return path


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "REMINDERS_ENABLED": "false",
            "SECURITY_ENCRYPTION_KEYS": KEYS[0], "SECURITY_BLIND_INDEX_KEY": KEYS[1]}


KEYS = (Fernet.generate_key().decode(), "bench-blind-index-" + uuid.uuid4().hex)


def run_import(url: str, file: Path, cwd: Path) -> dict[str, float]:
    """One `customers import` process: wall time and its own peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "interview_bot", "customers", "import",
                             str(file)], cwd=cwd, env=_env(url), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"import failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024}


async def _other_writer(url: str, stop: asyncio.Event) -> list[float]:
    """Another command on the same database: a small write every 50 ms, each timed."""
    from storage.crypto import Cipher

    engine = create_engine(url, cipher=Cipher([KEYS[0]], KEYS[1]))
    sessions = session_factory(engine)
    waits = []
    try:
        while not stop.is_set():
            start = time.perf_counter()
            async with sessions.begin() as session:
                user = await session.get(User, 1)
                assert user is not None
                user.language = "en" if user.language == "zh" else "zh"
            waits.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    return waits


async def _prepare(url: str) -> None:
    from datetime import UTC, datetime

    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with session_factory(engine).begin() as session:
            session.add(User(name="Other", role="rep",
                             created_at=datetime.now(UTC)))
    finally:
        await engine.dispose()


async def measure(url: str, file: Path, cwd: Path) -> dict[str, Any]:
    await _prepare(url)
    stop = asyncio.Event()
    writer = asyncio.create_task(_other_writer(url, stop))
    imported = await asyncio.to_thread(run_import, url, file, cwd)
    stop.set()
    waits = sorted(await writer)
    return {**imported, "other_writes": len(waits), "other_max_s": waits[-1],
            "other_p99_s": waits[int(len(waits) * 0.99) - 1] if waits else 0.0}


async def run(work: Path) -> dict[str, Any]:
    big = spreadsheet(work / "m9-big.csv", ROWS)
    small = spreadsheet(work / "m9-small.csv", max(ROWS // 10, 1))
    results: dict[str, Any] = {"rows": ROWS}
    results["SQLite"] = await measure(f"sqlite:///{work / 'm9.db'}", big, work)
    results["SQLite, a tenth"] = await measure(f"sqlite:///{work / 'm9-small.db'}", small, work)
    url, name = await fresh_database(work, "m9", postgres=True)
    try:
        results["PostgreSQL"] = await measure(url, big, work)
    finally:
        await drop_database(name)
    for key, value in results.items():
        print(f"M9 {key}: {value}", flush=True)
    return results


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-m9-") as tmp:
        print(asyncio.run(run(Path(tmp))))
