"""Finding a payment by its reference reads one index of the ledger view, not every line
(``projections.ledger.PaymentFinder``); `panel init` adds the index to a view made before it, and until then
the finder answers the same by a scan. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event, literal, select
from sqlalchemy.engine import Engine

from cli.wiring import Wiring
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.payments import Payments
from panel.payments.domain.values import PaymentStateError
from projections import Projector
from projections.connection import make_engine
from projections.ledger import PaymentFinder
from projections.ledger_view import LedgerView, reference_key
from tests.helpers.varied_ledger import varied_ledger


@pytest.fixture
def engine(location: StoreLocation) -> Iterator[Engine]:
    made = make_engine(location)
    yield made
    made.dispose()


def lines_table(app: PanelApp, engine: Engine) -> str:
    return Projector(app, engine, views=[LedgerView]).tables("ledger")["lines"].name


def indexes(engine: Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            )
        else:
            found = conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %(t)s",
                {"t": table},
            )
        return {name for (name,) in found}


def plan(finder: PaymentFinder, engine: Engine, key: str) -> str:
    """The database's plan for the query ``finder`` sends to look ``key`` up by reference, caught as it is sent
    (on PostgreSQL with sequential scans off: the table is small here, the question is whether the index serves)."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "reference" in statement.partition("WHERE")[2]:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        finder(key)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(statement, parameters)] = sent
    # a new connection: SQLite keeps a statement's plan by its text, and an EXPLAIN (which opens no transaction)
    # is not planned again when another connection has added or dropped an index since
    engine.dispose()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        return " ".join(str(row[-1]) for row in rows)


def references(app: PanelApp) -> list[str]:
    return sorted({p.reference for p in Payments(app).lines() if p.reference})


def answer(pay: Payments, text: str, **how: Any) -> UUID | str:
    try:
        return pay.resolve(text, **how)
    except PaymentStateError as refused:
        return str(refused)


def test_panel_init_indexes_the_reference_and_a_lookup_reads_the_index(app: PanelApp, engine: Engine) -> None:
    varied_ledger(app)
    finder = PaymentFinder(app, engine)
    assert len(finder("pp-custom-7")) == 2  # "PP-CUSTOM-7" in another case; the view is caught up
    table = lines_table(app, engine)
    assert f"ix_{table}_ref" in indexes(engine, table)
    used = plan(finder, engine, "pp-custom-7")
    assert f"ix_{table}_ref" in used, used
    assert ("SCAN" if engine.dialect.name == "sqlite" else "Seq Scan") not in used, used


def test_a_view_made_before_the_index_is_searched_by_a_scan_until_panel_init_adds_it(
    location: StoreLocation, app: PanelApp, engine: Engine
) -> None:
    varied_ledger(app)
    PaymentFinder(app, engine)("")  # caught up
    table = lines_table(app, engine)
    index = f"ix_{table}_ref"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP INDEX "{index}"')  # the view as an older version made it
    pay, refs = Payments(app), references(app)
    asked = [*refs, *(f" {r.upper()}" for r in refs), "PP-NONE"]
    answers = {text: answer(pay, text) for text in asked}  # from the stored events
    reader = Wiring(location).app  # what every command but `panel init` opens: it creates nothing
    try:
        older = PaymentFinder(reader, engine)
        assert {text: answer(pay, text, matching=older) for text in asked} == answers
        assert any(isinstance(a, UUID) for a in answers.values())
        assert any("(one transfer)" in str(a) for a in answers.values())  # most references name several lines
        assert index not in indexes(engine, table)
        assert index not in plan(older, engine, "pp-custom-7")
    finally:
        reader.close()
    init = Wiring(location).create_store()  # `panel init`
    init.app.close()
    assert index in indexes(engine, table)
    upgraded = PaymentFinder(app, engine)
    assert len(upgraded("pp-custom-7")) == 2 and index in plan(upgraded, engine, "pp-custom-7")


def test_the_reference_key_is_pythons_lower_for_the_text_it_indexes(engine: Engine) -> None:
    """``reference_key`` in each database: Python's ``lower`` for text of ASCII and the Kelvin sign, whatever the
    database's locale; every other character left as it is (the finder reads those references in Python)."""
    asked = ["PP-1A2B3C4D", "Pp-Custom 7", "PP-\u212aELVIN", "IIKK", "Straße-ΟΔΟΣ", "PP-İD", "ÄÖÜ-É", "ǅ"]
    with engine.connect() as conn:
        got = [conn.execute(select(reference_key(literal(text)))).scalar_one() for text in asked]
    assert got == [
        "pp-1a2b3c4d", "pp-custom 7", "pp-kelvin", "iikk", "straße-ΟΔΟΣ", "pp-İd", "ÄÖÜ-É", "ǅ",
    ]  # fmt: skip
