"""The bytes of a file the bot sends: stored with the reply, or a chart drawn now."""

from __future__ import annotations

import asyncio
import base64

from chat.actions import SendFile
from services.chart import render_png


async def file_bytes(action: SendFile) -> bytes:
    if action.chart is not None:
        return await asyncio.to_thread(render_png, action.chart, action.lang)
    return base64.b64decode(action.content_b64)
