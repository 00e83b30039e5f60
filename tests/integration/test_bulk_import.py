"""Bulk import in worker processes: same events as the sequential path, same atomic batches, on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.errors import ValidationError
from panel.queries import Queries
from panel.registration import Registration
from panel.store import bulk_import as bulk
from panel.store.sealing import unseal
from panel.validation import ConsentSpec, SignUp
from tests.helpers.tamper import disarm

T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)
BATCH = 10


def people(n: int, prefix: str = "B-") -> list[SignUp]:
    out = []
    for i in range(n):
        at = T0 + timedelta(hours=i)
        out.append(
            SignUp(
                ref=f"{prefix}{i:03d}",
                channel="paper" if i % 3 else "online",
                captured_by="amy" if i % 3 else None,
                personal={"name": f"Person {i}", "email": f"p{i}@example.org", "postcode": " LS6 1AA "},
                attributes={"age_band": "18-21", "gender": "woman" if i % 2 else "man"},
                consents=(
                    ConsentSpec("contact", "v3", "written", "amy", at),
                    ConsentSpec("panel_membership", "v3", "written", "amy", at + timedelta(minutes=1)),
                    ConsentSpec("contact", "v3", "written", "amy", at + timedelta(minutes=2)),
                ),  # a repeat: no event
                at=at,
                source="bulk",
            )
        )
    return out


def decoded_history(app: PanelApp, ids: list[UUID]) -> dict[UUID, list[tuple[str, dict[str, Any]]]]:
    """Each participant's events as (topic, state), the sealed blobs opened and the record times dropped."""
    keys = app.keys.get_keys(ids)
    history = {}
    for pid in ids:
        events = []
        for stored in app.recorder.select_events(pid):
            state = dict(vars(app.mapper.to_domain_event(stored)))
            state.pop("timestamp")
            if "sealed" in state:
                state["sealed"] = unseal(keys[pid], pid, state["sealed"])
            events.append((stored.topic, state))
        history[pid] = events
    return history


def wipe(app: PanelApp) -> None:
    events, keys = app.recorder.events_table_name, app.keys.keys_table  # type: ignore[attr-defined]
    if app.dialect == "postgres":
        events = f'"{app.recorder.datastore.schema}"."{events}"'  # type: ignore[attr-defined]
    with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
        if app.dialect == "postgres":  # a reset, not history: the documented maintenance switch, this transaction only
            c.execute("SET LOCAL panel.maintenance = 'on'")
        else:
            disarm(c, "sqlite")
        c.execute(f"DELETE FROM {events}")
        c.execute(f"DELETE FROM {app.recorder.chain_ref}")  # type: ignore[attr-defined]  # a fresh store's chain too
        c.execute(f"DELETE FROM {keys}")


def test_workers_give_the_same_events_as_the_sequential_path(app: PanelApp, monkeypatch: pytest.MonkeyPatch) -> None:
    signups = people(55)
    ids = [app.participant_id_for(s.ref, s.source) for s in signups]
    with monkeypatch.context() as m:
        m.setattr(bulk, "register_parallel", None)  # the sequential path must not reach for workers
        m.setattr(bulk, "PARALLEL_FROM", 10**9)
        sequential = Registration(app).register_many(signups, batch=BATCH)
    expected = decoded_history(app, ids)
    wipe(app)
    calls = []
    real = bulk.register_parallel
    monkeypatch.setattr(bulk, "register_parallel", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    assert Registration(app).register_many(signups, batch=BATCH) == sequential == (55, 0, 55 * 3)
    assert calls == [1]
    assert decoded_history(app, ids) == expected
    assert Queries(app).participant(ids[4]).personal.postcode == "LS6 1AA"


def test_a_worker_builds_the_applications_mapper(app: PanelApp) -> None:
    pid = app.participant_id_for("M-1", "bulk")
    mapper = bulk.build_mapper(type(app), app.env.name, dict(app.env))
    events = bulk.stored_rows(mapper, [(pid, people(1)[0])], {pid: bytes(32)})
    for _, version, topic, state in events:
        again = app.mapper.to_stored_event(app.mapper.to_domain_event(StoredEvent(pid, version, topic, state)))
        assert again.state == state  # byte for byte: same transcoder, same date/datetime/UUID encodings


def test_workers_encrypt_payloads_with_the_stores_cipher(location: StoreLocation) -> None:
    from eventsourcing.cryptography import AESCipher

    app = PanelApp(env=replace(location, cipher_key=AESCipher.create_key(32)).env())
    created, _, events = Registration(app).register_many(people(45), batch=BATCH)
    states = [n.state for n in app.recorder.select_notifications(start=None, limit=events)]
    assert created == 45 and len(states) == events
    assert all(b'"purpose"' not in s and b"bulk" not in s for s in states)
    person = Queries(app).participant(app.resolve_participant("bulk:B-044"))
    assert person.personal.name == "Person 44" and [c.purpose for c in person.consents] == [
        "contact",
        "panel_membership",
    ]
    app.close()


def test_parallel_import_killed_half_way_completes_on_rerun(app: PanelApp, monkeypatch: pytest.MonkeyPatch) -> None:
    signups = people(60)
    real_insert = app.recorder.insert_events
    calls = {"n": 0}

    def dying_insert(events: object, **kw: object) -> object:
        calls["n"] += 1
        if calls["n"] == 4:  # the first write notes the import's attribute names
            raise KeyboardInterrupt  # stopped while writing the third batch
        return real_insert(events, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(app.recorder, "insert_events", dying_insert)
    with pytest.raises(KeyboardInterrupt):
        Registration(app).register_many(signups, batch=BATCH)
    monkeypatch.setattr(app.recorder, "insert_events", real_insert)
    assert Queries(app).count_participants() == 2 * BATCH  # whole batches only
    assert Registration(app).register_many(signups, batch=BATCH) == (40, 20, 40 * 3)
    assert (
        Queries(app).count_participants() == 60 and app.recorder.max_notification_id() == 60 * 3 + 2
    )  # + the catalogue


def test_an_invalid_sign_up_stops_the_import_before_any_batch_is_written(app: PanelApp) -> None:
    signups = people(60)
    signups[35] = replace(signups[35], channel="fax")
    with pytest.raises(ValidationError, match=f"sign-up '{signups[35].ref}': channel 'fax' is unknown"):
        Registration(app).register_many(signups, batch=BATCH)
    assert Queries(app).count_participants() == 0  # every sign-up is validated before the first batch is written
    signups[35] = replace(signups[35], channel="online")
    assert Registration(app).register_many(signups, batch=BATCH)[:2] == (60, 0)


def test_repeated_references_in_one_import_are_registered_once(app: PanelApp) -> None:
    signups = people(40)
    assert Registration(app).register_many(signups + signups[:15], batch=BATCH)[:2] == (40, 15)
    assert Registration(app).register_many(signups, batch=BATCH)[:2] == (0, 40)


def test_progress_is_reported_batch_by_batch_in_order(app: PanelApp) -> None:
    seen: list[int] = []
    Registration(app).register_many(people(45)[:20], batch=BATCH)
    assert Registration(app).register_many(people(45), batch=BATCH, progress=seen.append) == (25, 20, 25 * 3)
    assert seen == [BATCH] * 4 + [5]
