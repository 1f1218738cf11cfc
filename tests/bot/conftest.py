from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.harness import BotUnderTest, running_bot


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bot(framework: str, tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    async with running_bot(framework, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as running:
        yield running
