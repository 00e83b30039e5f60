"""Streaming the ledger view holds one batch of rows, never the ledger: the peak of Python memory while a reader
takes every line (and keeps none) stays far below what the view's rows take when they are all held.

The view is filled with many lines written straight into its table (building them through the application
would take minutes); the reader does not know the difference.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from sqlalchemy.engine import Engine

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.payments.domain.values import ISSUED
from projections import ledger as ledger_reader
from projections.connection import make_engine
from projections.engine import Projector
from projections.ledger import stream_ledger_lines
from projections.ledger_view import ACCRUED_POSITION, LedgerView, to_db

LINES = 3_000
BATCH = 20


def line_row(n: int) -> dict[str, object]:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return {
        "id": UUID(int=n + 1), "engagement_id": UUID(int=10**6), "engagement_ref": "vested",
        "participant_id": UUID(int=10**7 + n % 500), "participant_ref": f"VES-{n % 500:04d}", "kind": "fee",
        "category": "session", "earned_on": date(2026, 3, 2), "quantity": "1 day", "gross_pence": 35_000,
        "amount_pence": 35_000, "status": ISSUED, "receipt": None, "voucher_code": None, "voucher_state": None,
        "rate_card": "standard", "budget_code": "B-1", "created_by": "sam", "accrued_at": at,
        "approved_by": "lee", "approved_at": at, "over_budget": False, "route": "bank_transfer",
        "reference": f"PP-{n:08X}", "batch_ref": "BATCH-1", "issued_at": at, "statement_line": None,
        "statement_date": None, "reconciled_at": None, "reason": None, "closed_at": None,
        ACCRUED_POSITION: n + 1,
    }  # fmt: skip


@pytest.fixture
def engine(app: PanelApp, location: StoreLocation) -> Iterator[Engine]:
    made = make_engine(location)
    projector = Projector(app, made, views=[LedgerView])
    projector.catch_up()
    table = projector.tables("ledger")["lines"]
    with made.begin() as conn:
        conn.execute(table.insert(), [to_db(line_row(n)) for n in range(LINES)])
    yield made
    made.dispose()


def peak_while_reading(app: PanelApp, engine: Engine) -> tuple[int, int]:
    """(lines read, peak bytes allocated while reading them one at a time)."""
    count = sum(1 for _ in stream_ledger_lines(app, engine))  # warm: the statement compiled, the view checked
    tracemalloc.start()
    try:
        count = sum(1 for _ in stream_ledger_lines(app, engine))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_the_view_holds_a_batch_not_the_ledger(
    app: PanelApp, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_reader, "STREAM_ROWS", BATCH)
    count, peak = peak_while_reading(app, engine)
    tracemalloc.start()
    try:
        held = list(stream_ledger_lines(app, engine))  # what holding them all takes, for scale
        whole = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == len(held) == LINES
    print(f"peak streaming {peak:,} bytes; holding every line {whole:,} bytes")
    assert peak < whole / 4, (peak, whole)
