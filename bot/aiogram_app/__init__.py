"""The aiogram 3 runtime: routers translate aiogram events into the conversation core.

Routers are built by factories rather than at import time: an aiogram router can
belong to one Dispatcher only, and a process may build more than one (a restart
in place, the test suite).
"""

from __future__ import annotations

from aiogram import Router

from bot.aiogram_app import buttons, commands, membership, messages


def get_routers() -> list[Router]:
    return [module.create_router() for module in (membership, commands, buttons, messages)]
