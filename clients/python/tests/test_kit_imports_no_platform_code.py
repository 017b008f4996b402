"""The kit is installed into other companies' services: it may not import the platform's packages."""

from __future__ import annotations

import ast
from pathlib import Path

import keyhouse_client

PLATFORM = {"lib", "audit", "accounts", "webhooks", "keys", "monitoring", "oauth", "config"}
ALLOWED = {"__future__", "keyhouse_client", "httpx", "jwcrypto", "django", "rest_framework"}


def test_the_kit_imports_only_the_standard_library_its_dependencies_and_optional_frameworks() -> None:
    import sys

    package = Path(keyhouse_client.__file__).parent
    seen: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                seen |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                seen.add(node.module.split(".")[0])
    assert not seen & PLATFORM
    assert seen - sys.stdlib_module_names <= ALLOWED, seen - sys.stdlib_module_names - ALLOWED
