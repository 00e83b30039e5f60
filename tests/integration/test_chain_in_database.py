"""The hash chain checked inside PostgreSQL (``panel.store.chain_check``) gives the audit's own answer.

On PostgreSQL ``Audit.verify`` checks the chain a span of positions at a time in the database and
walks in Python only from the first span that does not agree; on SQLite it walks everything. Each
case here is verified twice on the same store, once as it runs and once with the database's check
turned off (the walk alone), and the two reports must be the same: untouched, and after each kind
of tampering in a span after the first (spans of 7 positions, so a store of ~60 events has many).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from panel.application import PanelApp
from panel.audit import Audit
from panel.config import StoreLocation
from tests.helpers.tamper import delete, flip_byte, insert_forged, swap
from tests.helpers.vested_case import open_vested

SPAN = 7
EDITS: dict[str, Callable[[StoreLocation, int], int]] = {  # each returns the position the break is at
    "changed": lambda loc, at: flip_byte(loc, at) or at,
    "missing": lambda loc, at: delete(loc, at) or at,
    "reordered": lambda loc, at: swap(loc, at, at + 3) or at,
    "inserted": lambda loc, at: insert_forged(loc, at),  # a new event at the end of the log
}


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch, app: PanelApp) -> list[tuple[int, int]]:
    """Small spans, and the spans the database checked (none on SQLite)."""
    import panel.audit

    monkeypatch.setattr(panel.audit, "SPAN", SPAN)
    asked: list[tuple[int, int]] = []  # appended to by the checking threads, in any order
    check = getattr(app.recorder, "chain_span_agrees", None)
    if check is not None:

        def counted(after: int, upto: int) -> Any:
            asked.append((after, upto))
            return check(after, upto)

        monkeypatch.setattr(app.recorder, "chain_span_agrees", counted)
    return asked


def walk_only(app: PanelApp, monkeypatch: pytest.MonkeyPatch, **kwargs: int) -> Any:
    with monkeypatch.context() as m:
        m.setattr(app.recorder, "chain_span_agrees", lambda after, upto: None, raising=False)
        return Audit(app).verify(**kwargs)


def test_untouched_store_verifies_in_the_database_as_in_the_walk(
    app: PanelApp, location: StoreLocation, spans: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_vested(app)
    last = app.recorder.max_position()
    report = Audit(app).verify()
    assert report.ok and report.checked == last and report.head_position == last
    assert report == walk_only(app, monkeypatch)
    if location.dialect == "postgres":  # every span was checked in the database, none walked
        assert sorted(spans) == [(low, min(last, low + SPAN)) for low in range(0, last, SPAN)]
    else:
        assert spans == []
    from_middle = Audit(app).verify(start=10, stop=last - 5)
    assert from_middle.ok and from_middle.checked == last - 14
    assert from_middle == walk_only(app, monkeypatch, start=10, stop=last - 5)


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_each_break_in_a_later_span_is_named_as_the_walk_names_it(
    app: PanelApp, location: StoreLocation, spans: list[tuple[int, int]], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_vested(app)
    at = 3 * SPAN + 2  # inside the fourth span
    assert app.recorder.max_position() > at + 3
    broken = EDITS[kind](location, at)
    report = Audit(app).verify()
    assert not report.ok and report.kind == kind and report.position == broken
    assert report == walk_only(app, monkeypatch)
    if location.dialect == "postgres" and kind != "inserted":  # the spans before the break agreed in the database
        assert sorted(spans)[:3] == [(0, SPAN), (SPAN, 2 * SPAN), (2 * SPAN, 3 * SPAN)]
