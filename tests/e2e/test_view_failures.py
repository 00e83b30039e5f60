"""Events written straight to the store, past every validation, and what the read models make of them.

The application refuses such text at the input now; these events stand for what older versions
accepted (or what a bug might write). A view holds text of any length; an event a view cannot
apply (a NUL on PostgreSQL) stops that view with one line naming the event, the other views carry
on, and `panel projections status` shows where it stopped and why. Run as real subprocesses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from eventsourcing.persistence import Mapper

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


def _sign_up(app: PanelApp, ref: str) -> None:
    Registration(app).register(
        SignUp(ref=ref, channel="online", consents=(ConsentSpec("contact", "v1", "online", "self", T0),), at=T0)
    )


def _write_unchecked(app: PanelApp, ref: str, **fields: object) -> int:
    """Record a ConsentGranted for ``ref`` as an older version would have, bypassing every check; its position."""
    participant = app.load(app.resolve_participant(ref), Participant)
    event = Participant.ConsentGranted(
        originator_id=participant.id,
        originator_version=participant.version + 1,
        timestamp=Participant.ConsentGranted.create_timestamp(),
        **{
            "purpose": "panel_membership",
            "method": "online",
            "captured_by": "self",
            "at": T0,
            "expires_at": None,
            **fields,
        },
    )
    stored = Mapper.to_stored_event(app.mapper, event)  # the base mapper: the application's own refuses it
    app.recorder.insert_events([stored])
    return int(app.recorder.max_notification_id() or 0)


def _positions(panel) -> dict[str, tuple[int, str | None]]:  # type: ignore[no-untyped-def]
    rows = json.loads(panel("projections", "status", "--json").out)
    return {row["view"]: (row["position"], row["problem"]) for row in rows}


def test_a_view_holds_text_of_any_length(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    app = PanelApp(env=location.env())
    try:
        _sign_up(app, "L-1")
        long_version = "Privacy notice for the youth panel, January 2026 edition v3, " * 4
        head = _write_unchecked(app, "L-1", notice_version=long_version, captured_by="s" * 300)
    finally:
        app.close()
    ran = panel("projections", "catch-up")
    assert f"every view is at position {head}" in ran.out
    assert {position for position, _ in _positions(panel).values()} == {head}
    report = panel("consent", "report", "--json").out  # read from the consent view
    assert report.strip(), report


def test_a_view_that_cannot_apply_an_event_stops_there_with_one_line(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    app = PanelApp(env=location.env())
    try:
        _sign_up(app, "N-1")
        poisoned = _write_unchecked(app, "N-1", notice_version="v1\x00", captured_by="self")
        _sign_up(app, "N-2")  # an event after it, which the other views still take in
        head = int(app.recorder.max_notification_id() or 0)
    finally:
        app.close()
    if location.dialect == "sqlite":  # SQLite text holds a NUL: nothing to stop for
        panel("projections", "catch-up")
        assert {position for position, _ in _positions(panel).values()} == {head}
        return

    for command in (("projections", "catch-up"), ("reach", "--by", "age_band"), ("projections", "rebuild")):
        ran = panel(*command, code=1)
        errors = [line for line in ran.err.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, ran.err
        assert f"view consent cannot apply event {poisoned} (Participant.ConsentGranted)" in errors[0]
        assert "NUL" in errors[0] and "projections status" in errors[0]
    positions = _positions(panel)
    consent_position, problem = positions.pop("consent")
    assert consent_position < poisoned  # just before the event it cannot apply: nothing it reads lies between
    app = PanelApp(env=location.env())
    try:
        between = app.recorder.select_notifications(consent_position, limit=poisoned, inclusive_of_start=False)
    finally:
        app.close()
    from projections.consent_view import ConsentView

    skipped = {n.topic for n in between if n.id < poisoned}
    assert not skipped & set(ConsentView.topics()), skipped
    assert problem is not None and f"cannot apply event {poisoned}" in problem and "NUL" in problem
    assert positions == {name: (head, None) for name in positions}  # the other views carried on
    table = panel("projections", "status").out
    assert "problem" in table and f"cannot apply event {poisoned}" in table
