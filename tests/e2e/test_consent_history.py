"""What the auditor sees of one person's consent: `panel consent history` as a subprocess, on both stores.

A re-grant on a new notice version supersedes the earlier grant (it is not a withdrawal by the
participant), an erasure is a row of its own (when, by whom, why), and a date before the person
registered says so instead of printing an empty table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from panel.application import PanelApp
from panel.domain.participant import Participant
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

REGISTERED = datetime(2026, 1, 12, tzinfo=UTC)


def history_of_ves063(app: PanelApp) -> UUID:
    """VES-063: a phone sign-up (amy), contact re-granted on notice v2 (ben), membership withdrawn (cara)."""
    pid = Registration(app).register(
        SignUp(
            ref="VES-063",
            channel="phone",
            captured_by="amy",
            personal={"name": "Sam Patel"},
            consents=(
                ConsentSpec("contact", "v1", "verbal", "amy"),
                ConsentSpec("panel_membership", "v1", "verbal", "amy"),
            ),
            at=REGISTERED,
        )
    )
    Participation(app).grant_consent(
        pid, ConsentSpec("contact", "v2", "written", "ben", datetime(2026, 2, 1, tzinfo=UTC))
    )
    Participation(app).withdraw_consent(pid, "panel_membership", "cara", at=datetime(2026, 3, 1, tzinfo=UTC))
    return pid


def test_a_regrant_on_a_new_notice_is_shown_as_superseded_never_as_a_withdrawal(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    history_of_ves063(app)

    out = panel("consent", "history", "VES-063").out
    v1_contact = next(line for line in out.splitlines() if "contact" in line and " v1 " in line)
    assert "superseded by v2" in v1_contact and "ben" in v1_contact and "2026-02-01" in v1_contact
    assert "withdrawn" not in v1_contact
    membership = next(line for line in out.splitlines() if "panel_membership" in line)
    assert "withdrawn" in membership and "cara" in membership

    data = json.loads(panel("consent", "history", "VES-063", "--json").out)
    by_notice = {(c["purpose"], c["notice_version"]): c for c in data["consents"]}
    v1 = by_notice[("contact", "v1")]
    assert v1["state"] == "superseded" and v1["withdrawn_at"] is None and v1["withdrawn_by"] is None
    assert (v1["superseded_at"], v1["superseded_by"], v1["superseded_by_notice"]) == (
        "2026-02-01T00:00:00+00:00",
        "ben",
        "v2",
    )
    assert v1["ended_at"] == "2026-02-01T00:00:00+00:00"
    assert by_notice[("contact", "v2")]["state"] == "active"
    assert by_notice[("panel_membership", "v1")]["state"] == "withdrawn"
    assert data["active"] == ["contact"] and data["erasure"] is None and data["registered"] is True


def test_an_erasure_is_a_row_with_when_who_and_why(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    history_of_ves063(app)
    panel(
        "participant",
        "erase",
        "VES-063",
        "--reason",
        "erasure request ER-2026-014",
        "--by",
        "dpo.lee",
        "--at",
        "2026-05-01",
    )

    out = panel("consent", "history", "VES-063").out
    erased = next(line for line in out.splitlines() if "erased" in line)
    assert "ER-2026-014" in erased and "dpo.lee" in erased and "2026-05-01" in erased
    data = json.loads(panel("consent", "history", "VES-063", "--json").out)
    assert data["erasure"]["at"] == "2026-05-01T00:00:00+00:00"
    assert (data["erasure"]["erased_by"], data["erasure"]["reason"]) == ("dpo.lee", "erasure request ER-2026-014")
    assert data["erasure"]["recorded_at"] is not None

    before = json.loads(panel("consent", "history", "VES-063", "--as-of", "2026-04-01", "--json").out)
    assert before["erasure"] is None  # not yet erased at that date
    assert "erased" not in panel("consent", "history", "VES-063", "--as-of", "2026-04-01").out


def test_a_date_before_registration_says_so(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    history_of_ves063(app)

    ran = panel("consent", "history", "VES-063", "--as-of", "2025-12-01")
    assert ran.out.strip() == "VES-063 was not registered until 2026-01-12"
    data = json.loads(panel("consent", "history", "VES-063", "--as-of", "2025-12-01", "--json").out)
    assert data["registered"] is False and data["consents"] == []
    assert data["note"] == "VES-063 was not registered until 2026-01-12"
    assert data["registered_at"] == "2026-01-12T00:00:00+00:00"


def test_an_erasure_stored_before_erased_by_existed_still_loads(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    """A version 1 Erased event (no erased_by) is upcast on load and shown as 'not recorded'."""
    panel("init")
    pid = history_of_ves063(app)
    participant = app.load(pid, Participant)
    new = Participant.Erased(
        originator_id=pid,
        originator_version=participant.version + 1,
        timestamp=Participant.Erased.create_timestamp(),
        reason="erasure request ER-9",
        at=datetime(2026, 5, 1, tzinfo=UTC),
        erased_by="nobody",
    )
    stored = app.mapper.to_stored_event(new)
    state = app.mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2
    del state["erased_by"]  # exactly the shape version 1 stored
    old = type(stored)(
        stored.originator_id, stored.originator_version, stored.topic, app.mapper.transcoder.encode(state)
    )
    app.recorder.insert_events([old])

    loaded = app.load(pid, Participant)
    assert loaded.is_erased
    record = Queries(app).consent_record(pid)
    assert record.erasure is not None and record.erasure.erased_by is None
    erased = next(line for line in panel("consent", "history", "VES-063").out.splitlines() if "erased" in line)
    assert "not recorded" in erased and "ER-9" in erased
