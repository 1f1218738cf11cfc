"""Calibration: the least a bot can do, in raw aiohttp. getUpdates, then one
sendMessage per update, all concurrently. If the harness can feed this bot far faster
than any real bot goes, the harness is not what limits the others."""

from __future__ import annotations

import asyncio
import os

import aiohttp


async def main() -> None:
    base = f"{os.environ['BENCH_API']}/bot{os.environ['BENCH_TOKEN']}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
        async def reply(chat: int) -> None:
            async with http.post(f"{base}/sendMessage", json={"chat_id": chat, "text": "ok"}):
                pass

        offset = 0
        while True:
            async with http.post(f"{base}/getUpdates",
                                 json={"offset": offset, "timeout": 25}) as response:
                updates = (await response.json())["result"]
            for update in updates:
                offset = update["update_id"] + 1
                body = update.get("message") or update["callback_query"]
                chat = (body.get("chat") or body["message"]["chat"])["id"]
                asyncio.create_task(reply(chat))  # noqa: RUF006


if __name__ == "__main__":
    asyncio.run(main())
