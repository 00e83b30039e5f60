"""A pool narrowed by the read models is the full replay's pool, on SQLite and PostgreSQL.

The consent, reach and fatigue views leave people out; everyone they keep, and everyone changed
after their position, is re-checked from their history. The scenario holds every kind of person a
view could misjudge: withdrawn and expired consents, unconfirmed emails (double opt-in), erased and
left people, a fatigue exclusion, an ineligible person, and events recorded after the views' position.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from panel.application import PanelApp
from panel.confirmations import Confirmations
from panel.domain.engagement import Engagement
from panel.draws import Draws
from panel.draws.history import current_position
from panel.draws.loading import Memo, load_many
from panel.draws.narrowed import narrowed_pool
from panel.draws.pool_builder import PoolSnapshot, build_pool
from panel.engagements import Engagements
from panel.fatigue import Fatigue
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections.engine import Projector
from projections.pool_narrowing import ViewNarrowing
from tests.helpers.draw_case import DRAW_AT, T0, loose_quotas, populate

FEATURES = ["age_band", "gender"]


def consents(expires=None) -> tuple[ConsentSpec, ...]:  # type: ignore[no-untyped-def]
    return (
        ConsentSpec("contact", "v3", "online", "self", T0, expires),
        ConsentSpec("panel_membership", "v3", "online", "self", T0, expires),
    )


def sign_up(app: PanelApp, ref: str, *, source: str = "staff", email: str | None = None, expires=None) -> UUID:  # type: ignore[no-untyped-def]
    personal = {"name": f"Name of {ref}", "postcode": "LS1 1AA", **({"email": email} if email else {})}
    signup = SignUp(
        ref=ref,
        channel="online",
        at=T0,
        personal=personal,
        consents=consents(expires),
        attributes={"age_band": "18-21", "gender": "woman"},
        source=source,
    )
    return Registration(app).register(signup)


def scenario(app: PanelApp, projector: Projector) -> tuple[UUID, dict[str, UUID]]:
    """The Vested store plus every kind of person, half of the changes after the views caught up."""
    eid = populate(app)
    ids = {ref: app.participant_id_for(ref) for ref in ("V-001", "V-003", "V-005", "V-007", "V-011", "V-013")}
    ids["V-OLD"] = app.participant_id_for("V-OLD")
    ids["EXPIRED"] = sign_up(app, "EXPIRED", expires=DRAW_AT - timedelta(days=1))
    ids["UNCONFIRMED"] = sign_up(app, "UNCONFIRMED", source="campaign.bench", email="u@example.org")
    ids["CONFIRMED"] = sign_up(app, "CONFIRMED", source="campaign.bench", email="c@example.org")
    ids["LATE-CONFIRMED"] = sign_up(app, "LATE-CONFIRMED", source="campaign.bench", email="l@example.org")
    Confirmations(app).confirm(ids["CONFIRMED"], at=T0 + timedelta(days=1))
    Confirmations(app).confirm(ids["LATE-CONFIRMED"], at=DRAW_AT + timedelta(days=1))
    people = Participation(app)
    people.withdraw_consent(ids["V-001"], "contact", at=DRAW_AT - timedelta(days=2))
    people.erase(ids["V-003"], "asked to be erased")
    people.leave_panel(ids["V-005"], "moved away", at=DRAW_AT - timedelta(days=3))
    other = Engagements(app).open_engagement(
        name="Earlier panel", purpose="p", kind="consult", sessions=[date(2026, 1, 20)], day_rate_pence=0, at=T0
    )
    Fatigue(app).set_fatigue_rules(None, cooldown_days=None, max_per_year=1, at=T0)
    people.invite(other, [ids["V-007"]], at=T0 + timedelta(days=1))
    people.respond(other, ids["V-007"], accept=True, at=T0 + timedelta(days=2))  # took part: over the limit of 1
    projector.catch_up()
    # after the views' position: a withdrawal, a late sign-up, a re-grant and a fatigue exclusion they never saw
    people.withdraw_consent(ids["V-011"], "panel_membership", at=DRAW_AT - timedelta(days=1))
    ids["LATE"] = sign_up(app, "LATE")
    people.invite(other, [ids["V-013"]], at=T0 + timedelta(days=3))
    people.respond(other, ids["V-013"], accept=True, at=T0 + timedelta(days=4))
    people.attend(other, ids["V-013"], date(2026, 1, 20), at=T0 + timedelta(days=10))
    return eid, ids


def same_pool(full: PoolSnapshot, narrowed: PoolSnapshot) -> None:
    assert [(m.id, m.version, m.features, m.household) for m in narrowed.members] == [
        (m.id, m.version, m.features, m.household) for m in full.members
    ]
    for pid, standing in narrowed.standings.items():  # the reasons reported for the people re-checked
        assert standing.reason == full.standings[pid].reason, pid


def test_the_narrowed_pool_is_the_full_replay_pool(app: PanelApp, projector: Projector) -> None:
    eid, ids = scenario(app, projector)
    engagement = app.load(eid, Engagement)
    position = current_position(app)
    full = build_pool(app, engagement, DRAW_AT, features=FEATURES, position=position)
    stale = ViewNarrowing(projector, catch_up=False)  # the views stop before the last changes
    narrowed = narrowed_pool(app, engagement, DRAW_AT, stale, position=position, features=FEATURES)
    same_pool(full, narrowed)
    reasons = {ref: full.standings[pid].reason for ref, pid in ids.items()}
    assert reasons["V-001"] == "no active contact consent"
    assert reasons["EXPIRED"] == "no active panel_membership consent"
    assert reasons["UNCONFIRMED"] == reasons["LATE-CONFIRMED"] == "email address not confirmed (online application)"
    assert reasons["V-003"] == "erased" and reasons["V-005"] == "left the panel"
    assert str(reasons["V-007"]).startswith("max-per-year") and str(reasons["V-013"]).startswith("max-per-year")
    assert reasons["V-011"] == "no active panel_membership consent"
    assert str(reasons["V-OLD"]).startswith("not eligible")
    assert reasons["CONFIRMED"] is None and reasons["LATE"] is None
    # the views left out what they knew; what changed after them was re-checked from the history
    for known_out in ("V-001", "V-003", "V-005", "V-007", "EXPIRED", "V-OLD"):
        assert ids[known_out] not in narrowed.standings, known_out
    for changed in ("V-011", "V-013", "LATE"):
        assert ids[changed] in narrowed.standings, changed
    caught_up = narrowed_pool(app, engagement, DRAW_AT, ViewNarrowing(projector), position=position, features=FEATURES)
    same_pool(full, caught_up)
    assert ids["V-011"] not in caught_up.standings  # once caught up, the view knows


def test_the_pool_as_of_an_earlier_position_is_judged_as_of_then(app: PanelApp, projector: Projector) -> None:
    eid, ids = scenario(app, projector)
    engagement = app.load(eid, Engagement)
    earlier = current_position(app) - 3  # before V-013's invitation and attendance: not yet over the limit
    full = build_pool(app, engagement, DRAW_AT, features=FEATURES, position=earlier)
    narrowed = narrowed_pool(app, engagement, DRAW_AT, ViewNarrowing(projector), position=earlier, features=FEATURES)
    same_pool(full, narrowed)
    assert full.standings[ids["V-013"]].reason is None


def test_a_narrowed_draw_verifies_both_ways(app: PanelApp, projector: Projector, tmp_path: Path) -> None:
    eid, ids = scenario(app, projector)
    narrowed = Draws(app, narrowing=ViewNarrowing(projector))
    outcome = narrowed.draw(eid, 4, loose_quotas(tmp_path), seed=5, reserves=1, at=DRAW_AT)
    assert narrowed.verify(outcome.draw_id).differences == []
    assert Draws(app).verify(outcome.draw_id).differences == []  # the full replay agrees
    drawn = narrowed.get(outcome.draw_id)
    pool_ids = {UUID(r[0]) for r in drawn.pool}
    assert ids["LATE"] in pool_ids and ids["V-013"] not in pool_ids


def test_a_memo_shares_reads_at_one_position_only(app: PanelApp, projector: Projector) -> None:
    _, ids = scenario(app, projector)

    late, position = ids["V-013"], current_position(app)
    memo: Memo = {}
    first, _ = load_many(app, [late], position, memo)
    again, _ = load_many(app, [late, ids["LATE"]], position, memo)
    assert again[late] is first[late]  # taken from the memo, not read again
    assert set(memo[position]) == {late, ids["LATE"]}
    earlier, _ = load_many(app, [late], position - 3, memo)  # before V-013's invitation and attendance
    assert earlier[late].version == first[late].version - 3 and earlier[late] is not first[late]
    plain, _ = load_many(app, [late, ids["LATE"]], position)
    assert {pid: p.version for pid, p in plain.items()} == {pid: p.version for pid, p in again.items()}
