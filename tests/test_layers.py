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
