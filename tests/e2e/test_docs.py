"""The generated docs are current: `scripts/docs.py --check` passes, and fails on a stale page.

The check runs the README's quick tour with the real `panel` console script on a fresh SQLite store
and regenerates docs/cli.md from the click tree; see scripts/docs.py.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.helpers.paths import ROOT


def run_check(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(root / "scripts" / "docs.py"), "--check", *extra],
        check=False,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def docs_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_script", ROOT / "scripts" / "docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_docs_are_current() -> None:
    done = run_check(ROOT)
    assert done.returncode == 0, done.stderr
    assert "docs are current: docs/cli.md and the README's quick tour" in done.stdout


def test_a_stale_command_reference_fails_the_check_in_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    (copy / "docs").mkdir(parents=True)
    shutil.copytree(ROOT / "scripts", copy / "scripts")
    shutil.copytree(ROOT / "cli", copy / "cli")
    shutil.copy(ROOT / "README.md", copy / "README.md")
    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    (copy / "docs" / "cli.md").write_text(cli_doc.replace("## panel init\n", "## panel initialise\n"), encoding="utf-8")
    done = run_check(copy, "--cli-only")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("docs/cli.md is stale (2 changed lines"), lines[0]


def test_the_tour_comparison_ignores_what_differs_per_store_and_nothing_else() -> None:
    docs = docs_script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = docs.current_tour(readme)
    other_store = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "0" * 8 + "-0000-4000-8000-" + "0" * 12, tour
    )
    other_store = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\dZ", "2030-01-01 00:00Z", other_store)  # record times
    other_store = re.sub(r"hash [0-9a-f]{12}", "hash 0123456789ab", other_store)
    other_store = re.sub(r"DEMO-\d{5} +│ [^│]+│", "DEMO-99999 │ Someone Else With A Long Name │", other_store)
    assert other_store != tour
    assert docs.normalise(other_store) == docs.normalise(tour)
    changed = tour.replace("0 already present", "3 already present", 1)
    assert changed != tour and docs.normalise(changed) != docs.normalise(tour)
