"""The standalone certificate checker is shipped twice on purpose: inside the package (for `panel draw
check-certificate`) and as scripts/check_certificate.py (numpy only, for anyone without our code).
They must stay one program: a change to one without the other fails here."""

from __future__ import annotations

from tests.helpers.paths import ROOT


def test_the_shipped_script_is_the_packaged_checker() -> None:
    packaged = (ROOT / "selection" / "certificate_check.py").read_bytes()
    script = (ROOT / "scripts" / "check_certificate.py").read_bytes()
    assert script == packaged, "scripts/check_certificate.py differs from selection/certificate_check.py: copy it"
