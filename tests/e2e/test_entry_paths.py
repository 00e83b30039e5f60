"""One validation for every entry path, seen end to end: register and import store the same clean form."""

from __future__ import annotations

import json
from pathlib import Path

from panel.config import StoreLocation


def test_register_and_import_accept_any_case_and_store_one_form(location: StoreLocation, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    panel(
        "participant", "register", "--ref", "C-1", "--channel", "PHONE", "--captured-by", "amy",
        "--email", "Sam@Example.ORG", "--phone", "07700 900123", "--postcode", "ls6 1aa", "--attr", "Age Band=18-21",
    )  # fmt: skip
    shown = json.loads(panel("participant", "show", "C-1", "--json").out)
    assert shown["channel"] == "phone"
    assert {k: shown["personal"][k] for k in ("email", "phone", "postcode")} == {
        "email": "Sam@example.org",
        "phone": "+447700900123",
        "postcode": "LS6 1AA",
    }
    assert shown["personal"]["attributes"] == {"age_band": "18-21"}
    signups = tmp_path / "signups.csv"
    signups.write_text("Ref,Channel,Captured By,Phone,Consent_Contact\nC-2,In_Person,ben,0113 496 0000,v3\n")
    assert "1 new" in panel("participant", "import", str(signups), "--channel", "ONLINE").out
    shown = json.loads(panel("participant", "show", "import:C-2", "--json").out)
    assert (shown["channel"], shown["personal"]["phone"]) == ("in_person", "+441134960000")
