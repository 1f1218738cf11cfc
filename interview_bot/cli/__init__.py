"""The command-line interface: one module per command group, registered on one app."""

from __future__ import annotations

import sys

import typer

from interview_bot.cli import (  # noqa: F401 - importing a module registers its commands
    api_commands,
    backup_commands,
    chat_commands,
    customer_commands,
    customer_import_commands,
    customer_merge_commands,
    db_commands,
    flow_commands,
    hook_commands,
    invite_commands,
    key_commands,
    pool_commands,
    reminder_commands,
    report_commands,
    user_commands,
    web_commands,
)
from interview_bot.cli.command_setup import app
from interview_bot.cli.flow_commands import flow_schema_json
from interview_bot.cli.operational_errors import debug_requested, explain

__all__ = ["app", "flow_schema_json", "main"]


def main() -> None:
    """The command line. An operational error (a database that is down, a bad URL, a
    missing key) ends in one line and exit code 2; `--debug` or LOG_LEVEL=DEBUG shows its
    traceback. Ctrl-C ends with 130, without a traceback."""
    debug = debug_requested(sys.argv)
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("\nInterrupted. / 已中断。", err=True)
        sys.exit(130)
    except Exception as exc:
        line = None if debug else explain(exc)
        if line is None:
            raise
        typer.echo(line, err=True)
        sys.exit(2)
