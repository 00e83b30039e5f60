"""Listings by topic through the partial indexes `panel init` makes, and the engagements' rules kept between
sign-ups: the same answers as the library's walk of the log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from panel.access import AccessLog
from panel.application import PanelApp
from panel.domain.access import DataAccess
from panel.domain.draw import Draw
from panel.domain.engagement import Engagement, engagement_id
from panel.domain.participant import Participant
from panel.engagements import Engagements
from panel.registration import Registration
from panel.store.topic_index import index_name, literal
from panel.topics import INDEXED_TOPICS
from panel.validation import SignUp

AT = datetime(2026, 2, 1, tzinfo=UTC)
OPENED = get_topic(Engagement.Opened)


def open_engagement(app: PanelApp, ref: str, rules: list[str] | None = None) -> None:
    Engagements(app).open_engagement(
        name=ref.title(), ref=ref, purpose="p", kind="involve", sessions=[date(2026, 4, 2)], day_rate_pence=7500,
        eligibility=rules or [], new_attributes=[r.split()[0] for r in rules or []], at=AT,
    )  # fmt: skip


def walked(app: PanelApp, topic: str) -> list[Any]:
    """The library's own answer: every notification of the topic, by walking the log."""
    return [n.originator_id for n in app.recorder.select_notifications(start=None, limit=10_000, topics=[topic])]


def test_each_rare_topic_has_its_partial_index(app: PanelApp) -> None:
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    with app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        if app.dialect == "sqlite":
            c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        else:
            c.execute(
                "SELECT indexname AS name FROM pg_indexes WHERE schemaname = %s", (app.recorder.datastore.schema,)
            )  # type: ignore[attr-defined]
        names = {r["name"] for r in c.fetchall()}
    assert {index_name(table, t) for t in INDEXED_TOPICS} <= names


def _plan(app: PanelApp, what: str, where: str) -> str:
    """The database's plan of ``SELECT what FROM <events> WHERE where`` ."""
    recorder: Any = app.recorder
    with recorder.datastore.transaction(commit=False) as c:
        if app.dialect == "sqlite":
            table = recorder.events_table_name
            c.execute(f"EXPLAIN QUERY PLAN SELECT {what} FROM {table} WHERE {where}")
            return " ".join(str(r["detail"]) for r in c.fetchall())
        c.execute("SET LOCAL enable_seqscan = off")  # the table is tiny here: ask whether the index can serve
        c.execute(f'EXPLAIN SELECT {what} FROM "{recorder.datastore.schema}"."{recorder.events_table_name}" '
                  f"WHERE {where}")  # fmt: skip
        return " ".join(str(next(iter(r.values()))) for r in c.fetchall())


def test_the_listing_reads_the_index_not_the_log(app: PanelApp) -> None:
    position = "rowid" if app.dialect == "sqlite" else "notification_id"
    plan = _plan(app, position, f"topic = {literal(OPENED)} AND {position} > 0 ORDER BY {position}")
    assert index_name(app.recorder.events_table_name, OPENED) in plan  # type: ignore[attr-defined]


def test_listings_give_the_walks_answer(app: PanelApp) -> None:
    for i in range(7):
        open_engagement(app, f"eng-{i}")
        Registration(app).register(SignUp(ref=f"P-{i}", channel="phone", captured_by="amy", personal={"name": "A B"}))
    for topic in (OPENED, get_topic(Participant.Registered)):  # indexed, and not
        assert list(app.originators(topic)) == walked(app, topic)
    assert list(app.originators(OPENED)) == [engagement_id(f"eng-{i}") for i in range(7)]
    assert app.originators_page(OPENED, 2, 3) == walked(app, OPENED)[2:5]


def test_counts_give_the_walks_answer(app: PanelApp) -> None:
    """The database's count of a topic's events is the walk's, indexed or not, and counts no other topic's."""
    recorded = get_topic(DataAccess.Recorded)
    for i in range(3):
        open_engagement(app, f"eng-{i}")
    for i in range(5):
        Registration(app).register(SignUp(ref=f"P-{i}", channel="phone", captured_by="amy", personal={"name": "A B"}))
    pids = list(app.originators(get_topic(Participant.Registered)))
    for i in range(4):
        AccessLog(app).record(f"actor.{i}", "participant show", pids[: i + 1], at=AT)
    assert app.recorder.originators_count(recorded) == 4  # type: ignore[attr-defined]
    expected = {OPENED: 3, get_topic(Participant.Registered): 5, recorded: 4, get_topic(Draw.Completed): 0}
    for topic, n in expected.items():
        assert app.originators_count(topic) == n == len(walked(app, topic)) == sum(1 for _ in app.originators(topic))


def test_the_count_reads_the_index_not_the_log(app: PanelApp) -> None:
    recorded = get_topic(DataAccess.Recorded)
    plan = _plan(app, "COUNT(*)", f"topic = {literal(recorded)}")
    assert index_name(app.recorder.events_table_name, recorded) in plan  # type: ignore[attr-defined]


def test_a_topic_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not an event topic"):
        literal("x' OR '1'='1")


def test_the_rules_are_worked_out_again_only_after_they_change(app: PanelApp, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    work = Engagements._numeric_attributes

    def counted(self: Engagements) -> Any:
        calls.append(1)
        return work(self)

    monkeypatch.setattr(Engagements, "_numeric_attributes", counted)
    open_engagement(app, "first", ["age >= 18"])
    assert set(Engagements(app).numeric_attributes()) == {"age"}
    assert set(Engagements(app).numeric_attributes()) == {"age"}
    assert len(calls) == 1
    Engagements(app).update_engagement(
        engagement_id("first"), eligibility=["imd_decile <= 3"], new_attributes=["imd_decile"]
    )
    assert set(Engagements(app).numeric_attributes()) == {"imd_decile"}  # the change is seen at once
    open_engagement(app, "second", ["age < 26"])
    assert set(Engagements(app).numeric_attributes()) == {"imd_decile", "age"}
    assert len(calls) == 3
