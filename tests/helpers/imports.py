"""The import graph of our packages, read from the source with ``ast`` (nothing is imported or run).

Every import counts, wherever it is written: at the top, inside a function, or under
``if TYPE_CHECKING:``; each is a dependency a reader has to follow. Used by
``tests/unit/test_architecture.py``; its functions take the root directory, so they can be tried on a
small tree of fake packages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import of a module of ours: who imports, what, and (for ``from m import n``) which names."""

    importer: str
    target: str
    names: tuple[str, ...]
    line: int

    def where(self) -> str:
        return f"{self.importer} line {self.line}"


@cache
def parse(path: Path) -> ast.Module:
    """A module's syntax tree, read once per run (every check walks the same files)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name (a package's ``__init__`` under its own name)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, with relative imports resolved against ``module``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(root: Path, packages: Iterable[str]) -> list[Import]:
    """Every import, in a module of ``packages``, of a module of ``packages``."""
    known = modules(root, packages)
    found = []
    for module, path in known.items():
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Import):
                found += [Import(module, a.name, (), node.lineno) for a in node.names if _ours(a.name, known)]
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(module, path, node)
                if not _ours(source, known):
                    continue
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    if submodule in known:  # ``from package import module``: a dependency on that module
                        found.append(Import(module, submodule, (), node.lineno))
                    else:
                        found.append(Import(module, source, (alias.name,), node.lineno))
    return found


def _ours(name: str, known: dict[str, Path]) -> bool:
    return name in known or any(name.startswith(m + ".") for m in known) or any(m.startswith(name + ".") for m in known)


def graph(found: Iterable[Import]) -> dict[str, set[str]]:
    """Module -> the modules it imports (a module importing itself is left out)."""
    edges: dict[str, set[str]] = {}
    for imp in found:
        edges.setdefault(imp.importer, set())
        if imp.target != imp.importer:
            edges[imp.importer].add(imp.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: each strongly connected group of two or more modules, sorted (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(root: Path, packages: Iterable[str]) -> list[str]:
    """Each place a module uses another module's underscore-private name: ``from m import _x``,
    ``import m._x`` and ``m._x`` on a module bound by an import."""
    known = modules(root, packages)
    found = []
    for imp in imports(root, packages):
        hidden = [n for n in imp.names if _private(n)]
        hidden += [p for p in imp.target.split(".") if _private(p)]
        found += [f"{imp.where()}: {imp.target} {name}" for name in hidden]
    for module, path in known.items():
        tree = parse(path)
        bound = dict(_module_names(module, path, tree, known))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
                target = bound.get(node.value.id)
                if target is not None and target != module:
                    found.append(f"{module} line {node.lineno}: {target} {node.attr}")
    return sorted(found)


def _module_names(module: str, path: Path, tree: ast.Module, known: dict[str, Path]) -> Iterator[tuple[str, str]]:
    """(local name, module of ours) for each name an import binds to one of our modules."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield (
                        (alias.asname or alias.name.split(".")[0]),
                        (alias.name if alias.asname else alias.name.split(".")[0]),
                    )
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in known:
                    yield alias.asname or alias.name, f"{source}.{alias.name}"


# public API of the standard library that happens to start with an underscore
STDLIB_UNDERSCORE = {"_exit", "_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def private_attributes(root: Path, packages: Iterable[str]) -> list[str]:
    """Each ``x._name`` on an object other than ``self``/``cls`` where the module itself defines no ``_name``:
    reaching into another module's object (``projector._pages``, ``app._keys_for``)."""
    found = []
    for module, path in modules(root, packages).items():
        tree = parse(path)
        defined = set(STDLIB_UNDERSCORE)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not _private(node.attr) or node.attr in defined:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append(f"{module} line {node.lineno}: {ast.unparse(node)}")
    return sorted(found)
