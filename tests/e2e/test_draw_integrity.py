"""A draw stays verifiable and repairable after erasures, and verification proves the pool.

On SQLite and PostgreSQL: erasing any member keeps `replace` and `verify` working; rewriting the
history in the database (validly re-encrypted), corrupting a ciphertext or re-recording the draw
with recomputed outputs is found by `verify`, each difference named; a draw recorded in the first
version's shape still loads and verifies as far as it can.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

import selection
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.draws import Draws
from panel.draws.compose import DrawPlan, compose, pool_digest, quota_dicts, run_selection
from panel.draws.history import current_position
from panel.draws.pool_builder import build_pool, member_hash
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.store.sealing import seal, unseal
from tests.helpers.draw_case import DRAW_AT, loose_quotas, populate, quotas
from tests.helpers.events import events_of, iso, rewrite, write_state
from tests.helpers.paths import ROOT

HEX_ID = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def ref(app: PanelApp, pid: UUID | str) -> str:
    return app.load(UUID(str(pid)), Participant).external_ref


def test_erasing_a_pool_member_a_reserve_and_a_panel_member_keeps_replace_and_verify_working(
    app: PanelApp, panel, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    draws = Draws(app)
    did = draws.draw(eid, 6, loose_quotas(tmp_path), seed=11, reserves=3, at=DRAW_AT).draw_id
    drawn = draws.get(did)
    member, reserve, after = UUID(drawn.selected[0]), UUID(drawn.reserves[0]), UUID(drawn.reserves[1])
    other = next(UUID(r[0]) for r in drawn.pool if r[0] not in drawn.selected and r[0] not in drawn.reserves)
    for pid in (other, reserve, member):
        Participation(app).erase(pid, "erasure request", at=DRAW_AT + timedelta(days=1))

    found = draws.verify(did)
    assert found.differences == []
    assert any("3 pool member(s) erased since the draw" in note for note in found.notes), found.notes

    replaced = panel("draw", "replace", str(did), ref(app, member), "--reason", "erased", "--at", "2026-02-03")
    assert f"Replaced {ref(app, member)} by reserve {ref(app, after)}" in replaced.out, replaced.out
    assert f"skipped {ref(app, reserve)} was erased since the draw" in replaced.out, replaced.out
    assert not HEX_ID.search(replaced.out), replaced.out
    verified = panel("draw", "verify", str(did))
    assert verified.out.startswith(f"Verified draw {did} as far as it can be re-checked"), verified.out
    assert "Not re-checked: 3 pool member(s) erased since the draw" in verified.err, verified.err
    shown = panel("draw", "show", str(did))
    assert "Replacements" in shown.out and ref(app, after) in shown.out
    assert Queries(app).participant(after).participations[0].status == "invited"


def _version_of(location: StoreLocation, pid: UUID, purpose: str) -> int:
    return next(
        v
        for v, topic, state in events_of(location, pid)
        if topic.endswith("ConsentGranted") and state["purpose"] == purpose
    )


def _reseal(app: PanelApp, location: StoreLocation, pid: UUID, **attributes: str) -> None:
    """Rewrite the sign-up's sealed data with other attributes, validly encrypted under the person's key."""
    key = app.keys.get_keys([pid])[pid]

    def change(state: dict) -> None:  # type: ignore[type-arg]
        data = unseal(key, pid, state["sealed"])
        data["attributes"].update(attributes)
        state["sealed"] = seal(key, pid, data)

    rewrite(location, pid, lambda topic, _: topic.endswith("Registered"), change)


def test_verify_rechecks_every_member_against_the_history(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    draws = Draws(app)
    did = draws.draw(eid, 6, quotas(), seed=7, reserves=2, at=DRAW_AT).draw_id
    drawn = draws.get(did)
    pool = [UUID(r[0]) for r in drawn.pool]
    aged, unconsented, corrupted = pool[0], pool[1], pool[2]
    _reseal(app, location, aged, age_band="35-49")  # no longer eligible at the draw
    rewrite(
        location,
        unconsented,
        lambda topic, state: topic.endswith("ConsentGranted") and state["purpose"] == "panel_membership",
        lambda state: state.update(at=iso("2026-03-01T00:00:00+00:00")),  # granted after the draw
    )
    rewrite(
        location,
        corrupted,
        lambda topic, _: topic.endswith("Registered"),
        lambda state: state.update(
            sealed=state["sealed"][:20] + ("A" if state["sealed"][20] != "A" else "B") + state["sealed"][21:]
        ),
    )
    left_out = app.participant_id_for("V-OLD")
    _reseal(app, location, left_out, age_band="18-21")  # now eligible at the draw, yet not in its pool

    ran = panel("draw", "verify", str(did), code=1)
    errors = ran.err
    assert f"{ref(app, aged)} is in the draw's pool but at the draw: not eligible" in errors, errors
    assert (
        f"{ref(app, unconsented)} is in the draw's pool but at the draw: no active panel_membership consent" in errors
    )
    assert re.search(rf"{ref(app, corrupted)}: their record at version \d+ cannot be decrypted \(corrupted\)", errors)
    assert "V-OLD was in the pool at the draw but is not in the draw's pool" in errors, errors
    assert ran.err.strip().splitlines()[-1].startswith(f"Error: draw {did} does not verify")


def test_a_draw_re_recorded_with_a_member_removed_does_not_verify(
    app: PanelApp, location: StoreLocation, panel
) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    draws = Draws(app)
    did = draws.draw(eid, 6, quotas(), seed=7, reserves=2, at=DRAW_AT).draw_id
    real = draws.get(did)
    victim = next(UUID(r[0]) for r in real.pool if r[0] not in real.selected)
    # the forger rebuilds the pool as the draw did, drops one person, recomputes with our own code
    engagement = app.load(eid, Engagement)
    snapshot = build_pool(app, engagement, real.drawn_at, features=real.features, position=real.as_of_position)
    forged_pool = replace(snapshot, members=[m for m in snapshot.members if m.id != victim])
    plan = DrawPlan(6, tuple(quotas()), seed=7, reserves=2)
    forged = compose(plan, eid, 1, forged_pool, real.drawn_at, real.as_of_position or 0).draw
    write_state(location, did, 1, app.mapper.to_stored_event(forged.collect_events()[0]).state)
    assert draws.get(did).pool_sha256 == forged.pool_sha256  # the forgery is in place and self-consistent

    found = draws.verify(did)
    assert f"{ref(app, victim)} was in the pool at the draw but is not in the draw's pool" in found.differences
    changed = set(forged.selected) ^ set(real.selected)
    for pid in set(forged.selected) - set(real.selected):
        assert f"{ref(app, pid)} is on the draw's panel but no invitation by this draw is recorded" in found.differences
    for pid in set(real.selected) - set(forged.selected):
        assert (
            f"{ref(app, pid)} was invited by this draw but is neither on its panel nor a replacement"
            in found.differences
        )
    assert not [line for line in found.differences if "re-run" in line], found.differences  # it re-runs "fine"
    assert changed or found.differences
    panel("draw", "verify", str(did), code=1)


def test_a_draw_event_of_the_first_version_loads_through_the_upcaster(app: PanelApp) -> None:
    fixture = json.loads((ROOT / "tests" / "fixtures" / "draw_completed_v1.json").read_text(encoding="utf-8"))
    stored = StoredEvent(
        originator_id=UUID(fixture["originator_id"]),
        originator_version=1,
        topic=fixture["topic"],
        state=json.dumps(fixture["state"]).encode(),
    )
    draw = app.mapper.to_domain_event(stored).mutate(None)
    assert draw.round == 1 and draw.types is None and draw.as_of_position is None and not draw.keeps_types
    assert len(draw.pool) == 16 and len(draw.pool[0]) == 3 and len(draw.selected) == 6


def _record_first_version_draw(app: PanelApp, eid: UUID, tmp_path: Path) -> UUID:
    """A draw as the first version recorded it: the selection run on people's ids, no type table."""
    quota_list = loose_quotas(tmp_path)
    features = sorted({q.feature for q in quota_list})
    engagement = app.load(eid, Engagement)
    snapshot = build_pool(app, engagement, DRAW_AT, features=features, position=current_position(app))
    candidates = [selection.Candidate(id=m.id.hex, features=m.features) for m in snapshot.members]
    result = run_selection(
        candidates,
        quota_list,
        6,
        algorithm="leximin",
        seed=5,
        seed_from=None,
        reserves=3,
        lottery_size=1000,
        algorithm_version=1,  # what the first version ran: the greedy rounding to 1000 panels
    )
    did = uuid4()
    rows = [[m.id.hex, m.version, member_hash(m.key, did.hex, m.features, None)] for m in snapshot.members]
    now = compose(DrawPlan(6, tuple(quota_list), seed=5, reserves=3), eid, 1, snapshot, DRAW_AT, 0).draw
    state = json.loads(app.mapper.to_stored_event(now.collect_events()[0]).state)
    for newer in ("class_version", "round", "as_of_position", "types", "panel_rows"):
        state.pop(newer)
    state.update(
        pool=rows,
        pool_sha256=pool_digest(rows),
        inputs_sha256=result.inputs_sha256,
        probabilities=dict(result.probabilities),
        selected=list(result.selected),
        reserves=list(result.reserves),
        lottery_index=result.lottery_index,
        quotas=quota_dicts(quota_list),
        algorithm_version=1,
        lottery_size=1000,
    )
    topic = "panel.domain.draw:Draw.Completed"
    app.recorder.insert_events([StoredEvent(did, 1, topic, json.dumps(state).encode())])
    Participation(app).invite(eid, [UUID(p) for p in result.selected], at=DRAW_AT, draw_id=did)
    return did


def test_a_first_version_draw_verifies_and_replaces_as_far_as_it_can(
    app: PanelApp, location: StoreLocation, tmp_path: Path
) -> None:
    eid = populate(app)
    did = _record_first_version_draw(app, eid, tmp_path)
    draws = Draws(app)
    found = draws.verify(did)
    assert found.differences == [] and any("before draws kept their pool snapshot" in n for n in found.notes)
    drawn = draws.get(did)
    other = next(UUID(r[0]) for r in drawn.pool if r[0] not in drawn.selected and r[0] not in drawn.reserves)
    Participation(app).erase(other, "erasure request", at=DRAW_AT + timedelta(days=1))
    found = draws.verify(did)
    assert found.differences == []
    assert any("recorded before draws kept a type table" in n and "cannot be re-run" in n for n in found.notes)
    outcome = draws.replace(did, UUID(drawn.selected[0]), "moved away", at=DRAW_AT + timedelta(days=2))
    assert outcome.chosen == UUID(drawn.reserves[0]) and outcome.quota_ok
    assert draws.verify(did).differences == []
    # a replacement stored in the first version's shape loads too
    newer = ("class_version", "skipped", "broken", "override_reason", "panel_rows")
    rewrite(location, did, lambda topic, _: topic.endswith("MemberReplaced"), lambda s: [s.pop(k) for k in newer])
    assert "class_version" not in events_of(location, did)[1][2]
    again = draws.get(did).replacements[0]
    assert again["skipped"] == [] and again["broken"] == [] and again["override_reason"] is None


def test_a_household_draw_re_runs_and_replaces_after_an_erasure(app: PanelApp, tmp_path: Path) -> None:
    eid = populate(app)  # seven postcodes: households of several pool members
    draws = Draws(app)
    did = draws.draw(eid, 4, loose_quotas(tmp_path), seed=2, reserves=2, household_by="postcode", at=DRAW_AT).draw_id
    drawn = draws.get(did)
    assert any(group is not None for _, group, _ in drawn.types or [])  # anonymous groups, no postcodes
    assert not any("LS" in json.dumps(row) for row in drawn.types or [])
    member = UUID(drawn.selected[0])
    Participation(app).erase(member, "erasure request", at=DRAW_AT + timedelta(days=1))
    assert draws.verify(did).differences == []
    outcome = draws.replace(did, member, "erased", at=DRAW_AT + timedelta(days=2))
    assert outcome.chosen == UUID(drawn.reserves[0]) and outcome.quota_ok
    assert draws.verify(did).differences == []


def test_a_malformed_or_corrupted_draw_record_is_reported_in_one_line(
    app: PanelApp, location: StoreLocation, panel, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    did = Draws(app).draw(eid, 6, loose_quotas(tmp_path), seed=1, at=DRAW_AT).draw_id
    rewrite(location, did, lambda topic, _: topic.endswith("Completed"), lambda state: state.update(types=[["x"]]))
    ran = panel("draw", "verify", str(did), code=1)
    assert "- the check of the re-run cannot complete on this record" in ran.err, ran.err
    write_state(location, did, 1, b"\x00 not an event")
    ran = panel("draw", "verify", str(did), code=1)
    assert ran.err.strip().startswith(f"Error: the record of draw {did} cannot be read ("), ran.err
    assert len(ran.err.strip().splitlines()) == 1


def test_a_sign_up_while_the_draw_runs_is_outside_its_snapshot(app: PanelApp, tmp_path: Path) -> None:
    from panel.validation import ConsentSpec, SignUp
    from tests.helpers.draw_case import T0

    eid = populate(app)
    consents = (
        ConsentSpec("contact", "v3", "online", "self", T0),
        ConsentSpec("panel_membership", "v3", "online", "self", T0),
    )

    def view_then_a_sign_up(moment):  # type: ignore[no-untyped-def]
        # someone eligible signs up after the draw's snapshot, before its pool is built
        Registration(app).register(
            SignUp(ref="V-LATE", channel="online", consents=consents, at=T0, attributes={"age_band": "18-21"})
        )
        return Queries(app).participant_ids()

    draws = Draws(app, consenting=view_then_a_sign_up)
    did = draws.draw(eid, 6, loose_quotas(tmp_path), seed=4, at=DRAW_AT).draw_id
    late = app.participant_id_for("V-LATE")
    assert late.hex not in {r[0] for r in draws.get(did).pool}
    assert draws.verify(did).differences == []
