"""Reading the payment ledger: its lines from the ledger view (``projections.ledger_view``), caught up first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from panel.application import PanelApp
from panel.payments import ledger
from panel.payments.ledger import LedgerLine
from projections.engine import Projector
from projections.ledger_view import LedgerView, from_db

__all__ = ["LedgerView", "stream_ledger_lines", "tax_year_of"]

STREAM_ROWS = 1_000  # rows fetched at a time while streaming (a server-side cursor on PostgreSQL)
LEDGER_ORDER = ("engagement_ref", "participant_ref", "earned_on", "kind", "id")
PERSON_ORDER = ("participant_ref", "participant_id", "engagement_ref", "earned_on", "kind", "id")


def stream_ledger_lines(
    app: PanelApp,
    engine: Engine,
    *,
    engagement: UUID | None = None,
    participant: UUID | None = None,
    tax_year: int | None = None,
    route: str | None = None,
    budget_code: str | None = None,
    statuses: Sequence[str] | None = None,
    order: Sequence[str] = LEDGER_ORDER,
    catch_up: bool = True,
) -> Iterator[LedgerLine]:
    """Ledger lines from the view (brought up to date first), fetched ``STREAM_ROWS`` at a time in ``order``
    (``LEDGER_ORDER``: engagement, person, date; ``PERSON_ORDER``: each person's lines together), so a
    reader that folds them as they come holds one batch, never the whole ledger."""
    projector = Projector(app, engine, views=[LedgerView])
    if catch_up:
        projector.catch_up()
    table = projector.tables("ledger")["lines"]
    filters: dict[str, Any] = {
        "engagement_id": engagement.hex if engagement else None,
        "participant_id": participant.hex if participant else None,
        "tax_year": tax_year, "route": route, "budget_code": budget_code,
    }  # fmt: skip
    stmt = _filtered(table, filters, statuses).order_by(*(table.c[name] for name in order))
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=STREAM_ROWS).execute(stmt).mappings()
        for found in rows:
            yield ledger.to_line(from_db(found))


def _filtered(table: Table, filters: dict[str, Any], statuses: Sequence[str] | None) -> Any:
    stmt = select(table)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(table.c[name] == value)
    if statuses is not None:
        stmt = stmt.where(table.c.status.in_(statuses))
    return stmt


def tax_year_of(text: str) -> int:
    """``2026`` or ``2026-27`` -> 2026 (the tax year 6 April 2026 to 5 April 2027)."""
    head = text.strip().split("-")[0]
    if not head.isdigit() or len(head) != 4:
        raise ValueError(f"tax year {text!r}: use the starting year, e.g. 2026 for 2026-27")
    return int(head)
