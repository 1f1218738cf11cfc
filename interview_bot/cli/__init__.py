"""The command-line interface: one module per command group, registered on one app."""

from __future__ import annotations

from interview_bot.cli import (  # noqa: F401 - importing a module registers its commands
    chat_commands,
    customer_commands,
    db_commands,
    flow_commands,
    invite_commands,
    key_commands,
    reminder_commands,
    report_commands,
    user_commands,
)
from interview_bot.cli.command_setup import app
from interview_bot.cli.flow_commands import flow_schema_json

__all__ = ["app", "flow_schema_json", "main"]


def main() -> None:
    app()
