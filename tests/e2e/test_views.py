"""Each view against hand-computed expectations on the scripted history, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.fatigue import FatigueRules
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections import Projector, make_engine
from projections.consent_report import consent_report, pool_candidates
from projections.fatigue_report import fatigue_report, simulate
from projections.reach import reach_report
from projections.targets import read_targets
from tests.helpers.scripted import T, dump, script


def test_reach_counts_by_stage_and_attribute(app: PanelApp, projector: Projector) -> None:
    h = script(app)
    projector.catch_up()
    report = reach_report(projector, by=["age_band"], until=T(6, 1))
    assert report.totals == {"registered": 6, "pool": 1, "invited": 3, "selected": 1, "attended": 2}
    rows = {g["age_band"]: (g["registered"], g["pool"], g["invited"], g["attended"]) for g in report.groups}
    assert rows == {"18-21": (2, 1, 2, 2), "35-49": (2, 0, 1, 0), "65+": (1, 0, 0, 0), "(erased)": (1, 0, 0, 0)}
    # mid-February: B's contact is still active, C has not left, E not erased, D withdrew (backdated) on 10 Jan
    feb = reach_report(projector, by=["imd_quintile"], until=T(2, 15))
    assert feb.totals["pool"] == 4 and feb.totals["registered"] == 5
    quintiles = {g["imd_quintile"]: g["pool"] for g in feb.groups}
    # A (decile 1) and C (2) -> quintile 1; B (4) -> 2; D (9) is registered but not in the pool; E was
    # erased later, so their attributes are gone from every window: they count under "(erased)"
    assert quintiles == {"1": 2, "2": 1, "5": 0, "(erased)": 1}
    y = reach_report(projector, by=["age_band"], engagement=h.y, until=T(6, 1))
    assert (y.totals["invited"], y.totals["attended"], y.totals["selected"]) == (1, 1, 0)
    window = reach_report(projector, by=["age_band"], since=T(2, 1), until=T(6, 1))
    assert window.totals["registered"] == 1 and window.totals["invited"] == 1  # F; A's invitation to Y


def test_reach_against_targets_lists_under_reached_first(app: PanelApp, projector: Projector, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script(app)
    projector.catch_up()
    path = tmp_path / "targets.csv"
    path.write_text(
        "category,value,share\nage_band,18-21,10%\nage_band,35-49,0.5\nage_band,65+,0.4\n"
        "ethnicity,Black,0.1\nethnicity,Asian,0.2\nimd_decile,1,0.1\nimd_decile,2,0.1\n"
    )
    report = reach_report(
        projector,
        by=["age_band"],
        targets=read_targets(path),
        until=T(6, 1),
        stage="registered",
        plus=["ethnicity in Black,Asian"],
    )
    rows = {(r.category, r.value): r for r in report.representation}
    # registered with a known age band: A, B, C, D, F (E erased) -> 18-21: 2/5, 35-49: 2/5, 65+: 1/5
    assert rows[("age_band", "65+")].ratio == pytest.approx(0.2 / 0.4)
    assert rows[("age_band", "18-21")].ratio == pytest.approx(4.0)
    assert rows[("age_band", "(erased)")].share is None and rows[("age_band", "(erased)")].count == 1
    plus = rows[("PLUS", "ethnicity in Black,Asian")]
    assert (plus.count, plus.target, "PLUS" in plus.flags) == (2, pytest.approx(0.3), True)
    core20 = rows[("core20", "yes")]  # A (decile 1) and C (decile 2) of the 4 with a known decile
    assert core20.share == pytest.approx(0.5) and core20.target == pytest.approx(0.2) and "Core20" in core20.flags
    assert report.representation[0].category == "age_band" and report.representation[0].value == "65+"
    ratios = [r.ratio for r in report.representation if r.ratio is not None]
    assert ratios == sorted(ratios)


def test_erasure_removes_attributes_but_keeps_counts(app: PanelApp, projector: Projector) -> None:
    h = script(app)
    projector.catch_up()
    people = projector.tables("reach")["people"]
    with projector.engine.connect() as conn:
        rows = dict(conn.execute(select(people.c.participant_id, people.c.attributes)).all())
        fatigue = projector.tables("fatigue")["people"]
        ref = conn.execute(select(fatigue.c.ref).where(fatigue.c.participant_id == h.ids["E"].hex)).scalar()
    assert rows[h.ids["E"].hex] is None and ref is None  # the row stays (counts), its personal content goes
    assert sum(1 for v in rows.values() if v) == 5
    assert '"disability": "yes"' in rows[h.ids["A"].hex]


def test_consent_state_follows_effective_times(app: PanelApp, projector: Projector) -> None:
    h = script(app)
    projector.catch_up()
    assert pool_candidates(projector, T(6, 1)) == {h.ids["A"]}
    assert pool_candidates(projector, T(2, 15)) == {h.ids[r] for r in "ABCE"}
    assert pool_candidates(projector, T(1, 8)) == {h.ids[r] for r in "ABCDE"}
    report = consent_report(projector, T(6, 1))
    assert report.active == {"contact": 3, "panel_membership": 4, "data_processing": 0}  # E erased
    assert report.pool == 1
    months = {(m, p): (g, w) for m, p, g, w in report.months}
    assert months == {
        ("2026-01", "contact"): (5, 1),
        ("2026-01", "panel_membership"): (5, 0),
        ("2026-03", "contact"): (1, 1),
    }


def test_fatigue_windows_concentration_and_simulation(app: PanelApp, projector: Projector) -> None:
    h = script(app)
    projector.catch_up()
    report = fatigue_report(projector, T(6, 1))
    a = next(p for p in report.people if p.participant_id == h.ids["A"].hex)
    assert (a.invitations, a.attendances, a.participations) == ({30: 0, 90: 1, 365: 2}, {30: 0, 90: 1, 365: 3}, 2)
    assert a.days_since_last == 61 and a.ref == "A"
    assert (report.population, report.participations) == (6, 3)
    assert report.top10_share == pytest.approx(2 / 3)
    assert report.gini == pytest.approx(34 / 18 - 7 / 6)
    assert [p.ref for p in report.usual_suspects] == ["A"]
    cooled = simulate(projector, FatigueRules(cooldown_days=90))
    assert cooled.invitations == 4 and [(e.ref, e.engagement_id) for e in cooled.exclusions] == [("A", h.y.hex)]
    assert "32 days before" in cooled.exclusions[0].reason
    assert simulate(projector, FatigueRules(cooldown_days=30)).exclusions == []
    assert len(simulate(projector, FatigueRules(max_per_year=1)).exclusions) == 1


def test_incremental_catch_up_equals_rebuild(app: PanelApp, projector: Projector) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)
    assert projector.catch_up() == 0  # nothing new: nothing applied twice
    assert dump(projector) == incremental
    projector.batch_size = 1000
    projector.rebuild()
    assert [s.generation for s in projector.status()] == [2, 2, 2]
    assert dump(projector) == incremental
    assert sum(len(rows) for rows in incremental.values()) > 50


def test_rebuild_of_one_view_keeps_readers_on_the_old_tables_until_done(app: PanelApp, projector: Projector) -> None:
    script(app)
    projector.catch_up()
    before = dump(projector)
    seen = []

    def peek(done: int, total: int) -> None:  # readers during the rebuild still see generation 1, complete
        seen.append(reach_report(projector, by=["age_band"], until=T(6, 1)).totals["registered"])

    projector.rebuild(["reach"], progress=peek)
    assert seen and set(seen) == {6}
    assert {s.name: s.generation for s in projector.status()} == {"reach": 2, "consent": 1, "fatigue": 1}
    assert dump(projector) == before


def test_concurrent_catch_ups_never_double_count(app: PanelApp, location, projector: Projector) -> None:  # type: ignore[no-untyped-def]
    from projections import make_engine

    script(app)
    engines = [make_engine(location) for _ in range(3)]
    runners = [Projector(app, e, batch_size=2) for e in engines]
    failures: list[BaseException] = []

    def run(runner: Projector) -> None:
        try:
            runner.catch_up()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    together = dump(projector)
    projector.rebuild()
    assert dump(projector) == together
    for e in engines:
        e.dispose()


def test_a_crash_before_the_position_is_written_redoes_the_whole_batch(
    app: PanelApp, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections import db

    script(app)
    real, calls = db.set_position, []

    def power_cut(conn, key: str, position: int) -> None:  # type: ignore[no-untyped-def]
        calls.append(key)
        if len(calls) in (5, 9, 14, 30):  # after a view's rows were written in this transaction
            raise RuntimeError("power cut")
        real(conn, key, position)

    monkeypatch.setattr(db, "set_position", power_cut)
    crashes = 0
    while True:
        try:
            projector.catch_up()
            break
        except RuntimeError:
            crashes += 1
    monkeypatch.undo()
    resumed = dump(projector)
    projector.rebuild()
    assert crashes == 4 and dump(projector) == resumed


def test_views_elsewhere_and_pool_candidates_read_their_writes(app: PanelApp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from projections import make_engine

    h = script(app)
    engine = make_engine(views_url=f"sqlite:///{tmp_path / 'views.db'}")  # PANEL_VIEWS_URL, even for a PG store
    projector = Projector(app, engine)
    assert pool_candidates(projector, T(6, 1)) == {h.ids["A"]}
    Participation(app).grant_consent(h.ids["D"], ConsentSpec("contact", "v2", "online", "self", T(5, 20)))
    assert pool_candidates(projector, T(6, 1)) == {h.ids["A"], h.ids["D"]}
    assert (tmp_path / "views.db").exists()
    engine.dispose()


def test_consent_months_are_utc_months_whatever_the_sessions_zone(
    app: PanelApp, location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grant at 23:30 UTC on 31 January counts in January, even where the database session's own clock
    already reads February (PGTZ sets the PostgreSQL session's zone; SQLite keeps UTC text)."""
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    contact = (ConsentSpec("contact", "v1", "online", "self"),)
    for ref in ("M-1", "M-2"):
        Registration(app).register(SignUp(ref=ref, channel="online", consents=contact, at=late))
    Registration(app).register(SignUp(ref="M-3", channel="online", consents=contact, at=late + timedelta(hours=1)))
    monkeypatch.setenv("PGTZ", "Pacific/Kiritimati")  # UTC+14: 31 Jan 23:30 UTC is 1 Feb 13:30 there
    engine = make_engine(location)
    try:
        projector = Projector(app, engine)
        projector.catch_up()
        report = consent_report(projector, late + timedelta(days=60))
    finally:
        engine.dispose()
    assert report.months == [("2026-01", "contact", 2, 0), ("2026-02", "contact", 1, 0)]
    assert report.pool == 0 and report.active["contact"] == 3
