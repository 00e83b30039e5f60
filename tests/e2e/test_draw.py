"""Draws through the application and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.domain.engagement import Engagement
from panel.draws import Draws, NoEligiblePeopleError
from panel.draws.pool_builder import derive_features
from panel.engagements import Engagements
from panel.participation import Participation
from panel.queries import Queries
from tests.helpers.draw_case import DRAW_AT, T0, populate, quotas
from tests.helpers.paths import ROOT


def test_draw_records_invites_and_verifies(app: PanelApp) -> None:
    eid = populate(app)
    draws = Draws(app)
    outcome = draws.draw(eid, 6, quotas(), seed=42, reserves=3, at=DRAW_AT)
    draw = draws.get(outcome.draw_id)
    assert len(draw.pool) == 36  # 40 applicants, 4 without panel_membership consent, V-OLD not eligible
    assert outcome.excluded == {"no active panel_membership consent": 4, "not eligible: age_band in 18-21,22-25": 1}
    assert len(set(draw.selected)) == 6 and len(draw.reserves) == 3
    assert not set(draw.selected) & set(draw.reserves)
    assert abs(sum(draw.probabilities.values()) - 6) < 1e-6
    for pid in draw.selected:
        person = Queries(app).participant(UUID(pid))
        assert person.participations[0].status == "invited"
        assert person.participations[0].draw_id == draw.id
    assert draws.verify(draw.id).differences == []
    assert draw.seed == 42 and draw.algorithm == "leximin" and draw.solver


def test_verify_fails_when_a_recorded_input_is_altered(app: PanelApp) -> None:
    eid = populate(app)
    draws = Draws(app)
    did = draws.draw(eid, 6, quotas(), seed=7, at=DRAW_AT).draw_id
    original = draws.get
    for alter, expected in [
        (lambda d: setattr(d, "seed", 8), "differs"),
        (lambda d: d.pool[0].__setitem__(2, "0" * 64), "recorded features differ"),
        (lambda d: d.quotas[0].__setitem__("min", 3), "differ"),
    ]:

        def tampered(draw_id: UUID, alter=alter) -> object:  # type: ignore[no-untyped-def]
            d = original(draw_id)
            alter(d)
            return d

        draws.get = tampered  # type: ignore[method-assign]
        assert any(expected in line for line in draws.verify(did).differences), expected
    draws.get = original  # type: ignore[method-assign]
    assert draws.verify(did).differences == []


def test_replacement_keeps_quotas_and_is_recorded(app: PanelApp) -> None:
    eid = populate(app)
    draws = Draws(app)
    did = draws.draw(eid, 6, quotas(), seed=3, reserves=6, at=DRAW_AT).draw_id
    draw = draws.get(did)

    def profile(pid: str) -> tuple[str, ...]:
        features = derive_features(Queries(app).participant(UUID(pid)).personal.attributes)
        return tuple(features.get(f, "") for f in draw.features)

    # a drop-out whom some reserve matches exactly, so a quota-keeping replacement exists whatever the solver
    dropout = UUID(next(p for p in draw.selected if profile(p) in {profile(r) for r in draw.reserves}))
    outcome = draws.replace(did, dropout, "started a job", at=DRAW_AT + timedelta(days=1))
    after = draws.get(did)
    assert outcome.chosen.hex in draw.reserves and outcome.quota_ok
    assert dropout.hex not in after.panel and outcome.chosen.hex in after.panel
    assert Queries(app).participant(dropout).participations[0].status == "withdrew"
    assert Queries(app).participant(outcome.chosen).participations[0].status == "invited"
    assert draws.verify(did).differences == []  # the original draw still re-runs after a replacement


def test_an_engagement_without_eligible_people_is_a_clear_error(app: PanelApp) -> None:
    eid = Engagements(app).open_engagement(
        name="Empty", purpose="p", kind="consult", sessions=[], day_rate_pence=0, at=T0
    )
    with pytest.raises(NoEligiblePeopleError, match="nobody can be drawn for empty"):
        Draws(app).draw(eid, 2, [], seed=1, at=DRAW_AT)


def test_uniform_draw_for_the_vested_case(app: PanelApp) -> None:
    eid = populate(app)
    draws = Draws(app)
    did = draws.draw(eid, 6, [], algorithm="uniform", seed_from="04 11 23 35 41 49", at=DRAW_AT).draw_id
    draw = draws.get(did)
    assert draw.seed is None and draw.seed_from == "04 11 23 35 41 49"
    assert all(abs(p - 6 / 36) < 1e-9 for p in draw.probabilities.values())
    assert draws.verify(did).differences == []


def test_draw_cli_end_to_end(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    app.close()

    def run(*args: str, code: int = 0) -> str:
        ran = panel(*args, code=code)
        return ran.out if code == 0 else ran.err

    data = json.loads(
        run(
            "draw",
            "vested-youth-panel",
            "--size",
            "6",
            "--quotas",
            str(ROOT / "examples" / "vested-quotas.csv"),
            "--seed",
            "42",
            "--reserves",
            "2",
            "--at",
            "2026-02-01",
            "--json",
        )
    )
    assert len(data["selected"]) == 6 and data["pool_size"] == 36
    assert set(data["probabilities"]) == {f"V-{i:03d}" for i in range(40) if i % 10 != 9}
    did = data["id"]
    assert run("draw", "verify", did).startswith(f"Verified draw {did}: same pool as the history gives (36 people")
    shown = run("draw", "show", did[:8])
    assert "Target vs pool vs selected" in shown and "Panel" in shown
    listed = json.loads(run("draw", "list", "--json"))["draws"]
    assert [d["id"] for d in listed] == [did]
    out = run("draw", "replace", did, data["selected"][0], "--reason", "moved away", "--at", "2026-02-02")
    assert out.startswith(f"Replaced {data['selected'][0]} by reserve ")
    err = run("draw", "vested-youth-panel", "--size", "50", "--seed", "1", "--new-round", code=1)
    assert err.startswith("Error: ") and "50" in err


def test_the_consent_view_prefilter_gives_the_same_pool(app: PanelApp, location) -> None:  # type: ignore[no-untyped-def]
    from panel.draws.pool_builder import build_pool
    from projections import Projector, make_engine
    from projections.consent_report import pool_candidates

    eid = populate(app)
    pid = app.participant_id_for("V-001")
    Participation(app).withdraw_consent(pid, "contact", at=DRAW_AT - timedelta(days=1))  # the view must see this
    engine = make_engine(location, None)
    consenting = pool_candidates(Projector(app, engine), DRAW_AT)
    engine.dispose()
    engagement = app.load(eid, Engagement)
    full = build_pool(app, engagement, DRAW_AT, features=["gender"])
    narrowed = build_pool(app, engagement, DRAW_AT, features=["gender"], candidate_ids=consenting)
    assert [m.id for m in narrowed.members] == [m.id for m in full.members]
    assert len(full.members) == 35 and pid not in {m.id for m in full.members}
