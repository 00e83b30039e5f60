"""Run the real `panel` console script in a subprocess, as a user would.

click's CliRunner does not see what C libraries (HiGHS, for one) write to the process's stdout,
nor how the interpreter exits on an uncaught exception; output and exit codes are tested here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from panel.config import StoreLocation


def panel_script() -> str:
    """The `panel` console script of the interpreter running the tests."""
    beside = Path(sys.executable).with_name("panel")
    if beside.exists():
        return str(beside)
    found = shutil.which("panel")
    if found is None:
        raise RuntimeError("the `panel` console script is not installed: pip install -e .")
    return found


def store_env(location: StoreLocation) -> dict[str, str]:
    """Environment variables that point `panel` at ``location``."""
    if location.dialect == "sqlite":
        env = {"PANEL_DB": str(Path(location.target).resolve()), "PANEL_DATABASE_URL": ""}
    else:
        env = {"PANEL_DATABASE_URL": location.target, "PANEL_PG_SCHEMA": location.schema, "PANEL_DB": ""}
    if location.keys_url:  # the data keys in a database of their own, wrapped by a master key (docs/store.md)
        env["PANEL_KEYS_URL"] = location.keys_url
    if location.master_key:
        env["PANEL_MASTER_KEY"] = location.master_key
    return env


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.err or "Traceback (most recent call last)" in self.out


def run_panel(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: str | Path | None = None
) -> Ran:
    """Run `panel ARGS...` with ``env`` laid over this process's environment."""
    full = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    done = subprocess.run(
        [panel_script(), *args], env=full, input=stdin, capture_output=True, text=True, cwd=cwd, timeout=600
    )
    return Ran(done.returncode, done.stdout, done.stderr)
