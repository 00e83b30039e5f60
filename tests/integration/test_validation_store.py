"""One validation, against a real store: nothing beyond a limit is recorded, numbers only where a rule compares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.errors import ValidationError
from panel.engagements import Engagements
from panel.importer import import_csv
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.store import table_rows

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


def test_no_command_records_text_beyond_its_limit(app: PanelApp, location: StoreLocation) -> None:
    """The application's mapper checks every event: a consent grant past the limits writes nothing."""
    pid = Registration(app).register(SignUp(ref="G-1", channel="online", at=T0))
    before = table_rows(location)
    with pytest.raises(ValidationError, match="notice version is too long"):
        Participation(app).grant_consent(
            pid, ConsentSpec("contact", "Privacy notice, January 2026 edition v3 (youth)", "online", "self")
        )
    with pytest.raises(ValidationError, match="reason contains U\\+0000"):
        Participation(app).leave_panel(pid, "moved\x00away")
    assert table_rows(location) == before


def test_an_import_refuses_non_numbers_only_where_a_rule_compares(app: PanelApp, tmp_path: Path) -> None:
    path = tmp_path / "signups.csv"
    path.write_text("ref,age,unemployed_months\nN-1,eighteen,four\nN-2,19,prefer not to say\n")
    Engagements(app).open_engagement(
        name="E", purpose="p", kind="consult", sessions=[], day_rate_pence=0, eligibility=[], at=T0
    )
    assert import_csv(app, path).created == 2  # no rule compares either attribute yet
    Engagements(app).open_engagement(
        name="F", purpose="p", kind="consult", sessions=[], day_rate_pence=0, eligibility=["age >= 18"], at=T0
    )
    path.write_text("ref,age\nN-3,eighteen\nN-4,19\nN-5,Prefer not to say\n")
    report = import_csv(app, path)
    reason = "attribute age 'eighteen' is not a number, but engagement f's rule 'age >= 18' compares it with a number"
    assert (report.created, report.rejected) == (0, [(2, f"{reason}: write a number")])
