"""Reading the payment ledger: its lines from the ledger view (``projections.ledger_view``), caught up first."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Engine

from panel.application import PanelApp
from panel.payments import ledger
from panel.payments.ledger import LedgerLine
from projections.engine import Projector
from projections.ledger_view import LedgerView, from_db

__all__ = ["LedgerView", "ledger_lines", "tax_year_of"]


def ledger_lines(
    app: PanelApp,
    engine: Engine,
    *,
    engagement: UUID | None = None,
    participant: UUID | None = None,
    tax_year: int | None = None,
    route: str | None = None,
    budget_code: str | None = None,
    catch_up: bool = True,
) -> list[LedgerLine]:
    """Ledger lines from the view (brought up to date first), in engagement, person, date order."""
    projector = Projector(app, engine, views=[LedgerView])
    if catch_up:
        projector.catch_up()
    table = projector.tables("ledger")["lines"]
    stmt = select(table)
    if engagement is not None:
        stmt = stmt.where(table.c.engagement_id == engagement.hex)
    if participant is not None:
        stmt = stmt.where(table.c.participant_id == participant.hex)
    if tax_year is not None:
        stmt = stmt.where(table.c.tax_year == tax_year)
    if route is not None:
        stmt = stmt.where(table.c.route == route)
    if budget_code is not None:
        stmt = stmt.where(table.c.budget_code == budget_code)
    stmt = stmt.order_by(table.c.engagement_ref, table.c.participant_ref, table.c.earned_on, table.c.kind, table.c.id)
    with engine.connect() as conn:
        return [ledger.to_line(from_db(found)) for found in conn.execute(stmt).mappings()]


def tax_year_of(text: str) -> int:
    """``2026`` or ``2026-27`` -> 2026 (the tax year 6 April 2026 to 5 April 2027)."""
    head = text.strip().split("-")[0]
    if not head.isdigit() or len(head) != 4:
        raise ValueError(f"tax year {text!r}: use the starting year, e.g. 2026 for 2026-27")
    return int(head)
