"""The web entry point sits beside the CLI: nothing in panel/, selection/ or projections/ imports web/ or cli/,
web/ imports nothing from cli/, and no module of web/ imports another module's _private names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_the_inner_layers_never_import_the_entry_points() -> None:
    checked = 0
    for package in ("panel", "selection", "projections"):
        for path in (ROOT / package).rglob("*.py"):
            checked += 1
            for module, _ in imports(path):
                assert module.split(".")[0] not in ("web", "cli"), f"{path.relative_to(ROOT)} imports {module}"
    assert checked > 50


def test_web_uses_only_public_names_and_not_the_cli() -> None:
    paths = list((ROOT / "web").rglob("*.py"))
    assert len(paths) >= 8
    for path in paths:
        for module, names in imports(path):
            assert module.split(".")[0] != "cli", f"{path.name} imports {module}"
            private = [n for n in names if n.startswith("_")]
            hidden = [p for p in module.split(".") if p.startswith("_") and not p.startswith("__")]
            assert not private and not hidden, (path.name, module)
