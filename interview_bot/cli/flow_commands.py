"""Commands about flows: validate, list, and the JSON Schema of the flow format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from flows.errors import FlowLoadError
from flows.i18n import pick
from flows.loader import load_paths
from flows.model import FlowFile, Stage
from flows.seed_banks import BANK_000, carried
from interview_bot.cli.command_setup import (
    app,
    fail,
    load_settings,
)


@app.command()
def validate(paths: Annotated[list[Path] | None, typer.Argument(
        help="Flow files or folders (default: the configured flows)")] = None) -> None:
    """Check flow files; print every problem with file:line:column."""
    targets = paths or load_settings(needs_keys=False).interview.flows
    try:
        flows = load_paths(targets)
    except FlowLoadError as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        raise fail(f"{len(exc.errors)} problem(s) found", 1) from None
    for flow in flows.values():
        for warning in flow._warnings:
            typer.echo(f"{warning} (warning)", err=True)
        typer.echo(f"ok  {flow.id} v{flow.version}: {len(flow.questions)} questions, "
                   f"{len(flow.on_complete)} rules, audience {flow.audience}")


@app.command("flows")
def list_flows() -> None:
    """The flows with their question counts per SPIN stage."""
    try:
        flows = load_paths(load_settings(needs_keys=False).interview.flows)
    except FlowLoadError as exc:
        raise fail(str(exc), 1) from None
    header = f"{'flow':<14}{'audience':<10}" + "".join(f"{s.value:>13}" for s in Stage)
    typer.echo(header + f"{'total':>8}  title")
    for flow in flows.values():
        counts = Counter(q.stage for q in flow.questions)
        row = f"{flow.id:<14}{flow.audience:<10}" + "".join(f"{counts[s]:>13}" for s in Stage)
        typer.echo(row + f"{len(flow.questions):>8}  {pick(flow.title, 'en')} / "
                         f"{pick(flow.title, 'zh')}")
    found = carried(flows.values())
    typer.echo("\nSeed 000 question bank, by SPIN stage (item: the questions carrying it):")
    for stage in Stage:
        items = [i for i, seed in BANK_000.items() if seed.stage == stage.value]
        done = [i for i in items if found[i]]
        typer.echo(f"  {stage.value}: {len(done)} of {len(items)} items")
        for item in items:
            where = ", ".join(found[item]) or "MISSING"
            typer.echo(f"    {item:<15} {BANK_000[item].gist}: {where}")




@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file")] = None) -> None:
    """Print the JSON Schema of flow files (for editor completion and checks)."""
    text = flow_schema_json()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def flow_schema_json() -> str:
    schema_ = FlowFile.model_json_schema(by_alias=True)
    schema_["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema_["title"] = "Interview flow file"
    return json.dumps(schema_, ensure_ascii=False, indent=2) + "\n"


