"""The packages point down: a module imports only from its own package or a lower layer.

flows and storage at the bottom (neither imports the other), the channel-neutral chat types,
the services, the conversation (chat input to actions, no channel in it), the reminder
scheduler, the chat adapters, and the CLI and wiring on top. Imports inside functions count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"flows": 0, "storage": 0, "chat": 1, "services": 2, "conversation": 3,
          "scheduler": 4, "bot": 5, "web": 5, "interview_bot": 6}
CHANNEL_FRAMEWORKS = ("aiogram", "telegram", "lark_oapi")


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def upward_imports() -> list[str]:
    wrong = []
    for package, rank in LAYERS.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, module in imports_of(path):
                top = module.split(".")[0]
                if top in LAYERS and top != package and LAYERS[top] >= rank:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
                if top in CHANNEL_FRAMEWORKS and rank < LAYERS["bot"]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} "
                                 "(a chat framework below the adapters)")
    return wrong


def test_no_module_imports_a_higher_or_sideways_layer() -> None:
    assert upward_imports() == []


@pytest.mark.parametrize("package", ["flows", "storage", "chat", "services", "conversation"])
def test_below_the_adapters_nothing_knows_a_chat_framework(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        assert not [m for _, m in imports_of(path) if m.split(".")[0] in CHANNEL_FRAMEWORKS], path


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from bot.telegram import incoming_of\n", encoding="utf-8")
    assert imports_of(module) == [(2, "bot.telegram")]


# ------------------------------------------------------------------ doors call use cases
DOORS = ("bot", "conversation", "web", "interview_bot")
QUERY_NAMES = {"select", "insert", "update", "delete", "func", "text", "and_", "or_", "exists"}
SESSION_CALLS = {"execute", "scalar", "scalars", "get", "add", "add_all", "delete", "flush",
                 "merge"}
# the wiring may create the engine and sessions: it builds no query of its own
WIRING = {"interview_bot/app.py", "interview_bot/serve.py", "interview_bot/reminders.py"}
# doors that still do a use case's work themselves: none left (issue 25); a door that
# starts querying or writing the audit fails the suite
NOT_YET: dict[str, set[str]] = {}


def door_work(path: Path) -> set[str]:
    """What a door module does that a use case should: builds a query (SQLAlchemy's
    statement builders), calls a session (`session.get`, `ctx.session.scalar`…), or writes
    the audit trail (`audit.append`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy") \
                and any(a.name in QUERY_NAMES for a in node.names):
            found.add("builds queries")
        elif isinstance(node, ast.Attribute) and node.attr in SESSION_CALLS and (
                (isinstance(node.value, ast.Name) and node.value.id == "session")
                or (isinstance(node.value, ast.Attribute) and node.value.attr == "session")):
            found.add("calls the session")
        elif (isinstance(node, ast.Attribute) and node.attr in ("append", "append_many")
              and isinstance(node.value, ast.Name) and node.value.id == "audit"):
            found.add("writes audit")
    return found


def test_doors_leave_queries_sessions_and_the_audit_to_the_use_cases() -> None:
    found = {}
    for package in DOORS:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            work = door_work(path)
            if work and rel not in WIRING:
                found[rel] = work
    new = {rel: work - NOT_YET.get(rel, set()) for rel, work in found.items()}
    assert {rel: work for rel, work in new.items() if work} == {}, "call a use case instead"
    done = sorted(rel for rel in NOT_YET if rel not in found)
    assert done == [], f"no longer doing a use case's work: take them off NOT_YET: {done}"


def test_the_door_check_sees_a_session_call_through_ctx(tmp_path: Path) -> None:
    module = tmp_path / "door.py"
    module.write_text("async def f(ctx):\n    return await ctx.session.get(X, 1)\n",
                      encoding="utf-8")
    assert door_work(module) == {"calls the session"}
