"""lib/ is the bottom floor: it defines no models and imports no app."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1]
# The project's own packages (each app, and config): any top-level folder of the repository with an __init__.py.
PROJECT = {p.parent.name for p in LIB.parent.glob("*/__init__.py")} - {"lib"}


def test_lib_imports_no_app_and_defines_no_models() -> None:
    assert {"keys", "accounts", "webhooks", "config"} <= PROJECT
    for path in LIB.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in PROJECT, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in PROJECT, f"{path.name} imports {alias.name}"
        assert not (LIB / "models.py").exists() and not (LIB / "migrations").exists()
