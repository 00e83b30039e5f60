"""One default consent method per channel, whichever way a sign-up comes in (issue 11: "one of each")."""

from __future__ import annotations

from pathlib import Path

import pytest

from panel.application import PanelApp
from panel.domain.values import CHANNELS, CONSENT_METHODS
from panel.queries import Queries
from panel.validation import default_consent_method

EXPECTED = {
    "online": "online",
    "paper": "written",
    "partner_referral": "written",
    "phone": "verbal",
    "in_person": "verbal",
}


def test_every_channel_has_a_recorded_method() -> None:
    assert set(CHANNELS) == set(EXPECTED)
    for channel in CHANNELS:
        assert default_consent_method(channel) == EXPECTED[channel]
        assert default_consent_method(channel) in CONSENT_METHODS


@pytest.mark.parametrize("channel", ["paper", "phone", "online"])
def test_the_command_line_and_the_csv_import_record_the_same_method(
    channel: str, panel, app: PanelApp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    panel(
        "participant", "register", "--ref", f"CLI-{channel}", "--channel", channel, "--captured-by", "amy",
        "--consent", "contact", "--notice-version", "v3",
    )  # fmt: skip
    csv = tmp_path / "people.csv"
    csv.write_text(f"ref,channel,captured_by,consent_contact\nCSV-{channel},{channel},amy,v3\n")
    panel("participant", "import", str(csv))
    methods = {
        ref: [c.method for c in Queries(app).participant(app.resolve_participant(ref)).consents]
        for ref in (f"CLI-{channel}", f"CSV-{channel}")
    }
    assert methods == {f"CLI-{channel}": [EXPECTED[channel]], f"CSV-{channel}": [EXPECTED[channel]]}
