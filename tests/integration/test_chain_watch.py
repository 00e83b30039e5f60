"""ChainWatch (the staff audit page's check): a full walk first and hourly, only new events in between,
and a verified head found changed later is a sticky break (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from panel.application import PanelApp
from panel.audit import Audit
from panel.audit_watch import ChainWatch
from panel.config import StoreLocation
from panel.registration import Registration
from tests.helpers.chain_case import signup
from tests.helpers.tamper import flip_byte, recompute_chain

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def register_people(app: PanelApp, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        Registration(app).register(signup(f"W-{i}"))


def test_new_events_are_verified_from_the_last_head(app: PanelApp) -> None:
    register_people(app, 3)
    watch = ChainWatch(app)
    first = watch.check(NOW)
    total = app.recorder.max_position()
    assert first.report.ok and first.new_events == first.report.checked == total and first.full_at == NOW
    register_people(app, 2, start=3)
    later = watch.check(NOW + timedelta(minutes=5))
    added = app.recorder.max_position() - total
    assert added > 0 and later.new_events == added
    assert later.report.ok and later.report.checked == total + added and later.full_at == NOW
    assert later.report.head_hash == Audit(app).verify().head_hash
    again = watch.check(NOW + timedelta(minutes=6))
    assert again.new_events == 0 and again.report == later.report


def test_an_old_event_changed_is_found_by_the_next_full_walk(app: PanelApp, location: StoreLocation) -> None:
    register_people(app, 3)
    watch = ChainWatch(app, full_every=timedelta(hours=1))
    assert watch.check(NOW).report.ok
    flip_byte(location, 3)
    assert watch.check(NOW + timedelta(minutes=30)).report.ok  # between full walks only new events are read
    found = watch.check(NOW + timedelta(hours=1)).report
    assert not found.ok and (found.position, found.kind) == (3, "changed")


def test_a_rewritten_chain_stays_reported_though_a_fresh_walk_passes(app: PanelApp, location: StoreLocation) -> None:
    register_people(app, 3)
    watch = ChainWatch(app)
    head = watch.check(NOW).report.head_position
    flip_byte(location, 2)
    recompute_chain(location)  # consistent again: a fresh walk cannot tell
    assert Audit(app).verify().ok
    seen = watch.check(NOW + timedelta(minutes=1)).report
    assert not seen.ok and seen.position == head and "rewritten" in seen.detail
    assert watch.check(NOW + timedelta(hours=2)).report == seen
