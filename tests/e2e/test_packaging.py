"""A wheel holds every data file the code reads (.ci/run also builds, installs and runs the wheel).

`pip wheel .` once left out panel/payments/thresholds.json (package data was *.csv only), so
`panel pay totals` failed on any installed copy.
"""

from __future__ import annotations

import fnmatch
import tomllib

from tests.helpers.paths import ROOT

PACKAGES = ("panel", "selection", "projections", "cli", "web")


def test_every_data_file_in_the_packages_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = [p for globs in config["package-data"].values() for p in globs]
    data = [
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert any(p.name == "thresholds.json" for p in data), "the walk found no data files: it is broken"
    left_out = [str(p.relative_to(ROOT)) for p in data if not any(fnmatch.fnmatch(p.name, g) for g in patterns)]
    assert left_out == []
