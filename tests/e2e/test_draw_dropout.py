"""`panel draw --reserves-model dropout`: reserves chosen against a dropout model fitted to our own history.

On SQLite and PostgreSQL, through the real `panel` script: a store where the 18-21 age band withdrew
from an earlier engagement far more often than the 22-25 band; the draw records the model, its counts,
the seed and the report, shows them (text and --json), verifies, and a tampered count fails
verification; a plain draw records no model; a dropout draw's replacement takes the reserve who
restores the quotas best.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from uuid import UUID

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.draws import Draws
from panel.draws.dropout_history import gather
from panel.draws.history import current_position
from panel.engagements import Engagements
from panel.participation import Participation
from panel.queries import Queries
from tests.helpers.draw_case import DRAW_AT, T0, populate
from tests.helpers.events import events_of, rewrite
from tests.helpers.paths import ROOT

QUOTAS = str(ROOT / "examples" / "vested-quotas.csv")
SESSION = date(2026, 1, 20)
DRAW = ["draw", "vested-youth-panel", "--size", "6", "--quotas", QUOTAS, "--seed", "5", "--at", "2026-02-01"]


def history(app: PanelApp) -> dict[str, tuple[int, int]]:
    """An earlier engagement: 24 people accepted; most 18-21s withdrew or did not come, the 22-25s attended.

    Returns the expected (accepted, dropped) per age band. Two more accepted and have no outcome yet.
    """
    earlier = Engagements(app).open_engagement(
        name="Earlier panel", purpose="p", kind="involve", sessions=[SESSION], day_rate_pence=100, at=T0
    )
    people = Participation(app)
    refs = [f"V-{i:03d}" for i in range(26)]
    ids = {r: app.resolve_participant(r) for r in refs}
    at = T0 + timedelta(days=1)
    people.invite(earlier, ids.values(), at=at)
    for r in refs:
        people.respond(earlier, ids[r], accept=True, at=at + timedelta(hours=1))
    expected = {"18-21": [0, 0], "22-25": [0, 0]}
    for i, r in enumerate(refs[:24]):
        band = "18-21" if i % 2 else "22-25"
        expected[band][0] += 1
        moment = datetime.combine(SESSION, datetime.min.time(), tzinfo=T0.tzinfo) + timedelta(hours=18)
        if band == "18-21" and i % 6 != 5:
            expected[band][1] += 1
            if i % 4 == 1:
                people.withdraw_from(earlier, ids[r], "moved away", at=at + timedelta(days=2))
            else:
                people.record_no_show(earlier, ids[r], SESSION, at=moment)
        elif band == "22-25" and i == 4:
            expected[band][1] += 1
            people.withdraw_from(earlier, ids[r], "new job", at=at + timedelta(days=2))
        else:
            people.attend(earlier, ids[r], SESSION, at=moment)
    return {band: (n, d) for band, (n, d) in expected.items()}


def test_a_dropout_draw_records_its_model_shows_it_and_verifies(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    expected = history(app)
    ran = panel(*DRAW, "--reserves", "4", "--reserves-model", "dropout", "--json")
    data = json.loads(ran.out)
    model = data["reserves_model"]
    assert model["name"] == "dropout", model
    counts = {r["value"]: (r["accepted"], r["dropped"]) for r in model["model"]["history"]["by_value"]}
    assert counts["18-21"] == expected["18-21"] and counts["22-25"] == expected["22-25"], counts
    assert model["history"]["not_yet_known"] == 2, model["history"]
    rates = {r["value"]: r["rate"] for r in model["model"]["rates"] if r["feature"] == "age_band"}
    assert rates["18-21"] > rates["22-25"] + 0.2, rates
    assert model["kept"] == "dropout-aware", model
    assert model["expected_shortfall"] < model["plain_expected_shortfall"] - 3 * model["difference_standard_error"]
    assert len(data["reserves"]) == 4
    did = UUID(data["id"])
    recorded = Draws(app).get(did)
    assert recorded.reserves_model is not None and recorded.reserves_model["seed"] == model["seed"]
    assert len(recorded.reserves_model["plain"]) == 4

    shown = panel("draw", "show", str(did))
    assert "Reserves model: dropout (pooled dropout rate" in shown.out, shown.out
    assert "against" in shown.out and "for the plain ordered list" in shown.out
    verified = panel("draw", "verify", str(did))
    assert "dropout-aware reserves re-derived from the recorded model" in verified.out, verified.out

    # Only the history as of the draw counts: an outcome recorded later changes nothing.
    late = app.resolve_participant("V-024")
    Participation(app).withdraw_from(app.resolve_engagement("earlier-panel"), late, "later", at=DRAW_AT)
    assert gather(app, current_position(app), ["age_band"]).unresolved == 1  # counted now, not as of the draw
    assert panel("draw", "verify", str(did)).code == 0

    # Someone counted in the history is erased since: stated, not a difference.
    Participation(app).erase(app.resolve_participant("V-003"), "erasure request", at=DRAW_AT + timedelta(days=1))
    ran = panel("draw", "verify", str(did))
    assert "1 more people of the dropout history cannot be read (erased since the draw)" in ran.err, ran.err


def test_a_tampered_count_or_reserve_list_fails_verification(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    history(app)
    did = json.loads(panel(*DRAW, "--reserves", "3", "--reserves-model", "dropout", "--json").out)["id"]

    def fewer_dropped(state: dict) -> None:  # type: ignore[type-arg]
        row = next(r for r in state["reserves_model"]["model"]["history"]["by_value"] if r["value"] == "18-21")
        row["dropped"] -= 3

    rewrite(location, UUID(did), lambda topic, _: topic.endswith("Completed"), fewer_dropped)
    ran = panel("draw", "verify", did, code=1)
    assert "- the dropout history counts differ from the history as of the draw" in ran.err, ran.err
    assert "- the dropout model's recorded rates do not follow from its recorded history counts" in ran.err


def test_the_history_is_counted_by_the_rule(app: PanelApp) -> None:
    populate(app)
    expected = history(app)
    gathered = gather(app, current_position(app), ["age_band", "gender"])
    by_value = {(r.feature, r.value): (r.accepted, r.dropped) for r in gathered.history.by_value}
    assert by_value[("age_band", "18-21")] == expected["18-21"]
    assert by_value[("age_band", "22-25")] == expected["22-25"]
    assert gathered.history.accepted == 24 and gathered.unresolved == 2 and gathered.unreadable == 0
    assert sum(n for (f, _), (n, _) in by_value.items() if f == "gender") == 24
    assert gather(app, 1, ["age_band"]).history.accepted == 0  # as of the start: nothing yet


def test_a_plain_draw_records_no_model_and_a_bad_model_is_one_line(
    app: PanelApp, location: StoreLocation, panel
) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    history(app)
    bad = panel(*DRAW, "--reserves", "2", "--reserves-model", "psychic", code=2)
    errors = [line for line in bad.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "'--reserves-model': 'psychic' is not one of 'plain', 'dropout'" in errors[0], bad.err
    none = panel(*DRAW, "--reserves-model", "dropout", code=1)
    assert "--reserves-model dropout orders reserves: give --reserves N" in none.err, none.err
    preview = json.loads(panel(*DRAW, "--reserves", "2", "--reserves-model", "dropout", "--dry-run", "--json").out)
    assert preview["dry_run"] is True and preview["reserves_model"]["name"] == "dropout", preview
    assert Draws(app).recorded() == []
    data = json.loads(panel(*DRAW, "--reserves", "2", "--json").out)
    assert data["reserves_model"] == {"name": "plain"}
    assert Draws(app).get(UUID(data["id"])).reserves_model is None
    assert "Reserves model" not in panel("draw", "show", data["id"]).out
    # A draw recorded before reserve models (Completed version 2) loads as plain and still verifies.
    did = UUID(data["id"])

    def as_version_2(state: dict) -> None:  # type: ignore[type-arg]
        assert state.pop("reserves_model") is None and state["class_version"] == 3
        state["class_version"] = 2

    rewrite(location, did, lambda topic, _: topic.endswith("Completed"), as_version_2)
    assert "reserves_model" not in events_of(location, did)[0][2]
    assert Draws(app).get(did).reserves_model is None
    assert panel("draw", "verify", data["id"]).out.startswith(f"Verified draw {did}")


def test_a_replacement_takes_the_reserve_who_restores_the_quotas_best(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    history(app)
    did = json.loads(panel(*DRAW, "--reserves", "4", "--reserves-model", "dropout", "--json").out)["id"]
    drawn = Draws(app).get(UUID(did))
    member = app.load(UUID(drawn.selected[0]), Participant)
    ran = panel("draw", "replace", did, member.external_ref, "--reason", "ill", "--at", "2026-02-03")
    assert ran.out.startswith(f"Replaced {member.external_ref} by reserve "), ran.out
    after = Draws(app).get(UUID(did))
    assert after.replacements[0]["quota_ok"] is True
    joined = after.replacements[0]["replacement"]
    assert Queries(app).participant(UUID(joined)).participations[-1].status == "invited"
    assert panel("draw", "verify", did).code == 0
