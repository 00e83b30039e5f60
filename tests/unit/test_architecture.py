"""The layers stay as docs/design.md draws them: cli -> projections -> panel -> selection.

The import graph is read from the source with ``ast`` (tests/helpers/imports.py); nothing is imported.
The last tests run the same checks on a tiny tree of fake packages, to show each check can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.imports import cycles, graph, imports, in_package, private_attributes, private_uses
from tests.helpers.paths import ROOT

PACKAGES = ("panel", "projections", "selection", "cli", "web")  # the packages whose imports are read
# packages whose modules must form no import circle (panel joins once panel/application.py is split)
ACYCLIC = ("panel", "projections", "selection", "cli", "web")
# circles being removed on other branches of the same redesign (issue 11): each must still exist, so
# this list shrinks as they merge (delete the entry when its test says it is gone)
KNOWN_CIRCLES: list[list[str]] = []
# packages that must never import these others (outside its domain, panel never reaches up)
NEVER = {
    "panel": ("projections", "cli", "web"),
    "selection": ("panel", "projections", "cli", "web"),
    "projections": ("cli", "web"),
    "web": ("cli",),  # the web service is an entry point beside the CLI (docs/web.md)
}
# packages none of whose modules may use another module's _private names (panel joins once split)
NO_PRIVATE_USE = ("panel", "projections", "selection", "cli", "web")
EXTRA_FILES = ("bench/projections_bench.py",)  # outside the packages, held to the same rule


def circles_in(root: Path, packages: tuple[str, ...], acyclic: tuple[str, ...]) -> list[list[str]]:
    return [c for c in cycles(graph(imports(root, packages))) if any(in_package(m, p) for m in c for p in acyclic)]


def upward(root: Path, packages: tuple[str, ...], never: dict[str, tuple[str, ...]]) -> list[str]:
    return sorted(
        f"{imp.where()}: imports {imp.target}"
        for imp in imports(root, packages)
        for package, forbidden in never.items()
        if in_package(imp.importer, package) and any(in_package(imp.target, f) for f in forbidden)
    )


def private_in(root: Path, packages: tuple[str, ...], checked: tuple[str, ...]) -> list[str]:
    uses = private_uses(root, packages) + private_attributes(root, packages)
    return [use for use in uses if any(use.startswith((p + " ", p + ".")) for p in checked)]


def test_no_import_circles() -> None:
    assert [c for c in circles_in(ROOT, PACKAGES, ACYCLIC) if c not in KNOWN_CIRCLES] == []


def test_each_known_circle_still_exists() -> None:
    found = circles_in(ROOT, PACKAGES, ACYCLIC)
    gone = [circle for circle in KNOWN_CIRCLES if circle not in found]
    assert gone == [], f"{gone} are gone: delete them from KNOWN_CIRCLES"


def test_no_layer_imports_one_above_it() -> None:
    assert upward(ROOT, PACKAGES, NEVER) == []


def test_no_module_uses_another_modules_private_names() -> None:
    assert private_in(ROOT, PACKAGES, NO_PRIVATE_USE) == []


@pytest.mark.parametrize("path", EXTRA_FILES)
def test_scripts_use_no_private_names_of_ours(path: str, tmp_path: Path) -> None:
    """A script is checked as if it were a module of a package beside ours."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "__init__.py").write_text("")
    (tmp_path / "scripts" / "script.py").write_text((ROOT / path).read_text(encoding="utf-8"))
    for package in PACKAGES:
        (tmp_path / package).symlink_to(ROOT / package)
    assert private_in(tmp_path, (*PACKAGES, "scripts"), ("scripts",)) == []


def test_the_graph_is_read_at_all() -> None:
    """Guards the checks above against passing on an empty graph."""
    edges = graph(imports(ROOT, PACKAGES))
    assert "projections.engine" in edges["projections.bulk.worker"]
    assert "panel.application" in edges["cli.wiring"]


# -- each check can fail: a tiny tree of fake packages with one violation of each kind ---------
def fake_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


GOOD = {
    "low/__init__.py": "",
    "low/a.py": "def helper():\n    return 1\n\n\ndef _secret():\n    return 2\n",
    "high/__init__.py": "",
    "high/b.py": "from low.a import helper\n",
    "high/c.py": "from high import b\nfrom . import b as bee\n",
}


def test_the_checks_pass_on_a_clean_fake_tree(tmp_path: Path) -> None:
    root = fake_tree(tmp_path, GOOD)
    assert circles_in(root, ("low", "high"), ("low", "high")) == []
    assert upward(root, ("low", "high"), {"low": ("high",)}) == []
    assert private_in(root, ("low", "high"), ("low", "high")) == []
    assert graph(imports(root, ("low", "high")))["high.c"] == {"high.b"}


def test_a_circle_is_found_even_inside_a_function_or_type_checking_block(tmp_path: Path) -> None:
    root = fake_tree(
        tmp_path,
        {
            **GOOD,
            "high/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from high.d import x\n",
            "high/d.py": "def f():\n    from .c import y\n",
            "high/c.py": "from high import b\n",
        },
    )
    assert circles_in(root, ("low", "high"), ("high",)) == [["high.b", "high.c", "high.d"]]
    assert circles_in(root, ("low", "high"), ("low",)) == []  # a package not listed is not held to it


def test_an_import_upwards_is_found(tmp_path: Path) -> None:
    root = fake_tree(tmp_path, {**GOOD, "low/e.py": "import high.b\n"})
    assert upward(root, ("low", "high"), {"low": ("high",)}) == ["low.e line 1: imports high.b"]


@pytest.mark.parametrize(
    "text",
    [
        "from low.a import _secret\n",
        "from low.a import helper, _secret\n",
        "from low import a\na._secret()\n",
        "import low.a as la\nla._secret()\n",
    ],
)
def test_a_private_name_used_across_modules_is_found(tmp_path: Path, text: str) -> None:
    root = fake_tree(tmp_path, {**GOOD, "high/f.py": text})
    found = private_uses(root, ("low", "high"))
    assert len(found) == 1 and found[0].startswith("high.f line ") and found[0].endswith("low.a _secret")
    assert private_in(root, ("low", "high"), ("high",)) != []


def test_a_private_attribute_of_another_modules_object_is_found(tmp_path: Path) -> None:
    own = (
        "class P:\n    def __init__(self):\n        self._pages = []\n\n    def n(self, o):\n        return o._pages\n"
    )
    root = fake_tree(
        tmp_path,
        {
            **GOOD,
            "low/own.py": own,  # its own name, on another instance of its own class: allowed
            "high/g.py": "import os\n\n\ndef f(projector):\n    os._exit(0)\n    return projector._pages(0)\n",
        },
    )
    assert private_attributes(root, ("low", "high")) == ["high.g line 6: projector._pages"]


def test_the_real_tree_fails_once_a_violation_is_added(tmp_path: Path) -> None:
    """A copy of the real packages with one circle, one upward import and one private use added."""
    import shutil

    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    db = tmp_path / "projections" / "db.py"
    db.write_text(db.read_text() + "\n\ndef _bad():\n    from projections.engine import Projector\n")
    (tmp_path / "panel" / "bad.py").write_text("from cli.wiring import views_url\n")
    (tmp_path / "cli" / "bad.py").write_text(
        "from projections.engine import _anything\n\n\ndef f(projector):\n    return projector._pages(0)\n"
    )
    assert any("projections.db" in c and "projections.engine" in c for c in circles_in(tmp_path, PACKAGES, ACYCLIC))
    assert upward(tmp_path, PACKAGES, NEVER) == ["panel.bad line 1: imports cli.wiring"]
    assert private_in(tmp_path, PACKAGES, NO_PRIVATE_USE) == [
        "cli.bad line 1: projections.engine _anything",
        "cli.bad line 5: projector._pages",
    ]
