"""A draw's fairness certificate: produced from the record, checked by the CLI and the standalone script.

Runs the real `panel` script in subprocesses on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from panel.application import PanelApp
from tests.helpers.draw_case import populate
from tests.helpers.paths import ROOT

QUOTAS = str(ROOT / "examples" / "vested-quotas.csv")
SCRIPT = ROOT / "scripts" / "check_certificate.py"


def _draw(app: PanelApp, panel, tmp_path: Path) -> tuple[dict, Path]:  # type: ignore[no-untyped-def]
    populate(app)
    args = ["draw", "vested-youth-panel", "--size", "6", "--quotas", QUOTAS, "--seed", "7", "--at", "2026-02-01"]
    drawn = json.loads(panel(*args, "--json").out)
    cert = panel("draw", "certificate", drawn["id"])
    path = tmp_path / "cert.json"
    path.write_text(cert.out, encoding="utf-8")
    return json.loads(cert.out), path


def test_a_draws_certificate_checks_and_one_changed_number_fails(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cert, path = _draw(app, panel, tmp_path)
    assert cert["lottery"]["size"] == len(cert["lottery"]["panels"]) >= len(cert["distribution"])
    ok = panel("draw", "check-certificate", str(path))
    assert ok.out.startswith("Certificate valid:") and ok.err == ""
    summary = json.loads(panel("draw", "check-certificate", str(path), "--json").out)
    assert summary["valid"] is True and summary["failures"] == [] and summary["levels"] == len(cert["levels"])
    changes = {
        "level": lambda c: c["levels"][0].__setitem__("value", c["levels"][0]["value"] + 1e-3),
        "multiplier": lambda c: c["levels"][0]["multipliers"].__setitem__(0, c["levels"][0]["multipliers"][0] + 0.5),
        "probability": lambda c: c["lottery"]["probabilities"].__setitem__(
            next(iter(c["lottery"]["probabilities"])),
            next(iter(c["lottery"]["probabilities"].values())) + 1e-6,
        ),
        "quota": lambda c: c["quotas"][0].__setitem__("max", c["quotas"][0]["max"] - 1),
        "weight": lambda c: c["distribution"][0].__setitem__("probability", c["distribution"][0]["probability"] * 1.01),
    }
    for name, change in changes.items():
        bad = json.loads(path.read_text(encoding="utf-8"))
        change(bad)
        broken = tmp_path / f"{name}.json"
        broken.write_text(json.dumps(bad), encoding="utf-8")
        failed = panel("draw", "check-certificate", str(broken), "--json", code=1)
        result = json.loads(failed.out)
        assert result["valid"] is False and result["failures"], name
        standalone = subprocess.run(
            [sys.executable, "-I", str(SCRIPT), str(broken)], check=False, capture_output=True, text=True, timeout=120
        )
        assert standalone.returncode == 1 and "FAILED:" in standalone.stdout, name
    good = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path)], check=False, capture_output=True, text=True, timeout=120
    )
    assert good.returncode == 0 and good.stdout.startswith("Certificate valid:"), good.stdout + good.stderr


def test_check_certificate_refuses_a_file_that_is_not_a_certificate(panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.json"
    junk.write_text("not json", encoding="utf-8")
    ran = panel("draw", "check-certificate", str(junk), code=1)
    assert ran.err.startswith("Error:") and len(ran.err.strip().splitlines()) == 1 and ran.out == ""
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": "something else"}', encoding="utf-8")
    result = json.loads(panel("draw", "check-certificate", str(wrong), "--json", code=1).out)
    assert result["valid"] is False


def test_a_uniform_draw_has_no_certificate(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    drawn = json.loads(panel("draw", "vested-youth-panel", "--size", "3", "--seed", "1", "--json").out)
    ran = panel("draw", "certificate", drawn["id"], code=1)
    assert "no fairness certificate" in ran.err and ran.out == ""


def test_the_standalone_checker_imports_only_numpy_and_the_standard_library() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= {"__future__", "json", "sys", "numpy"}, names
    assert SCRIPT.read_text(encoding="utf-8") == (ROOT / "selection" / "certificate_check.py").read_text(
        encoding="utf-8"
    )
