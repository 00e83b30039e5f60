"""The reach and fatigue reports read their views as streams, on SQLite and PostgreSQL.

The reach report reads the people table a person at a time (``projections.reach.people_at_stages``):
everyone at a stage is counted once, and ids at a stage that the people table does not hold (a row
removed from the view by hand, say) still count, with no attributes, as the report counted them when
it held everyone. The fatigue report merges the people and activity streams by id."""

from __future__ import annotations

from sqlalchemy import delete

from panel.application import PanelApp
from projections import Projector
from projections.reach import STAGES, people_at_stages, reach_report
from projections.targets import UNKNOWN
from tests.helpers.scripted import T, script


def test_each_person_comes_once_with_their_stages(app: PanelApp, projector: Projector) -> None:
    script(app)
    projector.catch_up()
    streamed = list(people_at_stages(projector, engagement=None, since=None, until=T(6, 1)))
    report = reach_report(projector, by=["age_band"], until=T(6, 1))
    assert len(streamed) == report.totals["registered"]  # every person once; nobody left over
    assert {s: sum(s in at for _, at in streamed) for s in STAGES} == report.totals
    assert sum("__erased__" in attrs for attrs, _ in streamed) == 1


def test_ids_at_a_stage_missing_from_the_people_table_still_count(app: PanelApp, projector: Projector) -> None:
    script(app)
    projector.catch_up()
    before = reach_report(projector, by=["age_band"], until=T(6, 1))
    before_18 = next((g["pool"], g["invited"]) for g in before.groups if g["age_band"] == "18-21")
    assert before_18 == (1, 2)  # A: in the pool and invited (tests/e2e/test_views.py)
    people = projector.tables("reach")["people"]
    with projector.engine.begin() as conn:
        ids = [row[0] for row in conn.execute(people.select().with_only_columns(people.c.participant_id))]
        gone = next(i for i in ids if _age(projector, i) == "18-21" and _in_pool(projector, i))
        conn.execute(delete(people).where(people.c.participant_id == gone))
    after = reach_report(projector, by=["age_band"], until=T(6, 1))
    assert after.totals == {**before.totals, "registered": before.totals["registered"] - 1}
    moved = {g["age_band"]: (g["pool"], g["invited"]) for g in after.groups}
    assert moved[UNKNOWN] == (1, 1) and moved["18-21"] == (before_18[0] - 1, before_18[1] - 1)


def _age(projector: Projector, pid: str) -> str | None:
    import json

    people = projector.tables("reach")["people"]
    with projector.engine.connect() as conn:
        values = conn.execute(people.select().where(people.c.participant_id == pid)).mappings().one()["attributes"]
    return (json.loads(values) if values else {}).get("age_band")


def _in_pool(projector: Projector, pid: str) -> bool:
    from projections.consent_view import pool_candidates_query

    with projector.engine.connect() as conn:
        return pid in {row[0] for row in conn.execute(pool_candidates_query(projector.tables("consent"), T(6, 1)))}


def test_fatigue_reads_people_and_activity_side_by_side(app: PanelApp, projector: Projector) -> None:
    """The fatigue report merges the people and activity streams by id: each person's figures are their own,
    everyone registered counts in the population (erased people and people with no activity too), and activity
    whose person the people table does not hold is still listed, without a reference."""
    from projections.fatigue_report import fatigue_report

    h = script(app)
    projector.catch_up()
    report = fatigue_report(projector, T(6, 1))
    by_ref = {p.ref: p for p in report.people}
    assert report.population == 6 and set(by_ref) <= set("ABCDEF")
    assert (by_ref["A"].participations, by_ref["A"].attendances) == (2, {30: 0, 90: 1, 365: 3})
    people = projector.tables("fatigue")["people"]
    with projector.engine.begin() as conn:
        conn.execute(delete(people).where(people.c.participant_id == h.ids["A"].hex))
    without = fatigue_report(projector, T(6, 1))
    assert without.population == 5 and without.participations == report.participations - 2
    (orphan,) = [p for p in without.people if p.participant_id == h.ids["A"].hex]
    assert orphan.ref is None and orphan.attendances == by_ref["A"].attendances
    assert {p.ref: p for p in without.people if p.ref} == {r: p for r, p in by_ref.items() if r != "A"}
