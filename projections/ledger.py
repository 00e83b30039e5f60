"""Reading the payment ledger: its lines from the ledger view (``projections.ledger_view``), caught up first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Table, case, func, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from panel.application import PanelApp
from panel.numbers import whole_number
from panel.payments import ledger
from panel.payments.domain.values import APPROVED, ISSUED, RECONCILED
from panel.payments.ledger import LedgerLine
from projections.engine import Projector
from projections.ledger_view import ACCRUED_POSITION, LedgerView, from_db, reference_key

__all__ = [
    "ACCRUAL_ORDER", "EXPORT_GROUPS", "LedgerView", "PaymentFinder", "PersonLedger", "code_point_order", "IssuedLedger",
    "stream_ledger_lines", "tax_year_of",
]  # fmt: skip

STREAM_ROWS = 1_000  # rows fetched at a time while streaming (a server-side cursor on PostgreSQL)
LEDGER_ORDER = ("engagement_ref", "participant_ref", "earned_on", "kind", "id")
ACCRUAL_ORDER = (ACCRUED_POSITION, "id")  # the order the ledger's fold meets the lines
PERSON_ORDER = ("participant_ref", "participant_id", "engagement_ref", "earned_on", "kind", "id")
# `panel pay export --by KEY --lines`: the group a line is in, as the database sorts it. It sorts in the same
# order as Python sorts the group's name (cli.pay_reports.EXPORT_KEYS): text compared byte by byte
# (code points), an empty or missing code or route named as the export names it, a tax year by its year.
EXPORT_GROUPS = {
    "engagement": lambda t: t.c.engagement_ref,
    "budget": lambda t: _named(t.c.budget_code, "(no code)"),
    "route": lambda t: _named(t.c.route, "(not issued)"),
    "tax-year": lambda t: t.c.tax_year,
}


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
    group: str | None = None,
    by_code_point: bool = False,
) -> Iterator[LedgerLine]:
    """Ledger lines from the view (brought up to date first), fetched ``STREAM_ROWS`` at a time in ``order``
    (``LEDGER_ORDER``: engagement, person, date; ``PERSON_ORDER``: each person's lines together), so a
    reader that folds them as they come holds one batch, never the whole ledger.

    ``group`` (a key of ``EXPORT_GROUPS``) sorts by the export's group first, then by ``order``: each
    group's lines come together, the groups in the order of their names, without holding any group.
    ``by_code_point`` sorts ``order``'s text columns as Python sorts ``str`` (``code_point_order``), whatever
    the database's collation.

    The view is caught up and checked when this is called (a view an older version made raises
    ``ViewsNotReadyError`` here, before a caller has written anything); the rows are read as they are taken."""
    projector = Projector(app, engine, views=[LedgerView])
    if catch_up:
        projector.catch_up()
    table = projector.tables("ledger")["lines"]
    filters: dict[str, Any] = {
        "engagement_id": engagement.hex if engagement else None,
        "participant_id": participant.hex if participant else None,
        "tax_year": tax_year, "route": route, "budget_code": budget_code,
    }  # fmt: skip
    first = [] if group is None else [code_point_order(EXPORT_GROUPS[group](table), engine)]
    columns = [code_point_order(table.c[name], engine) if by_code_point else table.c[name] for name in order]
    stmt = _filtered(table, filters, statuses).order_by(*first, *columns)
    return _streamed(engine, stmt)


def _streamed(engine: Engine, stmt: Any) -> Iterator[LedgerLine]:
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=STREAM_ROWS).execute(stmt).mappings()
        for found in rows:
            yield ledger.to_line(from_db(found))


class IssuedLedger:
    """For ``Payments.reconcile`` (``panel.payments.statement_lines.IssuedLines``): the view's issued and
    reconciled lines, read twice. ``names()`` brings the view up to date (a view that is not ready raises
    ``ViewsNotReadyError`` then, before anything is matched or recorded) and streams each line's reference,
    status and batch reference, unsorted; ``lines()`` streams the whole lines in the order they were accrued."""

    STATUSES = (ISSUED, RECONCILED)

    def __init__(self, app: PanelApp, engine: Engine) -> None:
        self.app, self.engine = app, engine

    def names(self) -> Iterator[tuple[str | None, str, str | None]]:
        projector = Projector(self.app, self.engine, views=[LedgerView])
        projector.catch_up()
        table = projector.tables("ledger")["lines"]
        stmt = select(table.c.reference, table.c.status, table.c.batch_ref).where(table.c.status.in_(self.STATUSES))
        return _tuples(self.engine, stmt)

    def lines(self) -> Iterator[LedgerLine]:
        return stream_ledger_lines(self.app, self.engine, statuses=self.STATUSES, order=ACCRUAL_ORDER, catch_up=False)


def approved_pence(app: PanelApp, engine: Engine, engagement: UUID) -> int:
    """An engagement's approved total (``ledger.totals(...).approved``: the live amount of its approved, issued
    and reconciled lines) from the ledger view, brought up to date first: one indexed query on the engagement,
    its lines streamed, where the fold reads every payment event in the store (``Lifecycle.approve``'s
    ``approved_so_far``)."""
    lines = stream_ledger_lines(app, engine, engagement=engagement, statuses=[APPROVED, ISSUED, RECONCILED])
    return ledger.totals(lines).approved


def _tuples(engine: Engine, stmt: Any) -> Iterator[Any]:
    with engine.connect() as conn:
        yield from (tuple(row) for row in conn.execution_options(yield_per=STREAM_ROWS).execute(stmt))


class PersonLedger:
    """One person's payment lines at a time, from the ledger view (caught up once, when made): one indexed
    query per person, the lines in the order they were accrued (as ``Payments.lines`` folds them), so a
    reader going through everyone holds one person's lines, never the ledger.

    ``PersonLedger(app, engine)(participant_id)`` -> that person's lines.
    """

    def __init__(self, app: PanelApp, engine: Engine, *, catch_up: bool = True) -> None:
        projector = Projector(app, engine, views=[LedgerView])
        if catch_up:
            projector.catch_up()
        self.engine = engine
        self.table = projector.tables("ledger")["lines"]

    def __call__(self, participant: UUID) -> list[LedgerLine]:
        table = self.table
        stmt = (
            select(table)
            .where(table.c.participant_id == participant.hex)
            .order_by(table.c[ACCRUED_POSITION], table.c.id)
        )
        with self.engine.connect() as conn:
            return [ledger.to_line(from_db(found)) for found in conn.execute(stmt).mappings()]


class PaymentFinder:
    """``Payments.resolve``'s ``matching`` from the ledger view (caught up at the first call): the payments
    whose latest reference is ``key`` in any case (``reference.lower() == key``); else, for 8 characters or more,
    those whose id starts with ``key``, by a range of the view's primary key. ``key`` is lower case, as
    ``resolve`` gives it.

    A reference may hold any printable text (``panel.domain.text``), and SQL's ``lower`` is not Python's, so:
    an ASCII ``key`` (every reference the panel makes, and what people type) is one indexed query on
    ``reference_key(reference)``, which for the only references that Python lowers to ASCII (ASCII and the
    Kelvin sign, ``ASCII_LOWERED``) is their ``lower()``; a ``key`` beyond ASCII can match only a reference
    beyond ASCII, and those are read in a scan of the view. Every row found is checked with ``str.lower``. A
    view made before the index (until `panel init`) answers the same, by a scan."""

    def __init__(self, app: PanelApp, engine: Engine) -> None:
        self.app, self.engine = app, engine
        self._table: Table | None = None

    def __call__(self, key: str) -> list[UUID]:
        if self._table is None:
            projector = Projector(self.app, self.engine, views=[LedgerView])
            projector.catch_up()
            self._table = projector.tables("ledger")["lines"]
        table = self._table
        with self.engine.connect() as conn:
            found = []
            if key:
                rows = conn.execution_options(yield_per=STREAM_ROWS).execute(self._named(table, key))
                found = [UUID(pid) for pid, reference in rows if reference.lower() == key]
            hexed = _id_prefix(key)
            if found or hexed is None:
                return found
            prefixed = select(table.c.id).where(table.c.id >= hexed, table.c.id < hexed + "g").order_by(table.c.id)
            return [UUID(pid) for (pid,) in conn.execute(prefixed)]

    @staticmethod
    def _named(table: Table, key: str) -> Any:
        """The (id, reference) rows whose reference may lower to ``key``: by the index for an ASCII ``key``, else
        those holding a character beyond printable ASCII (a regular expression: SQLAlchemy gives SQLite one)."""
        named = select(table.c.id, table.c.reference)
        if key.isascii():
            return named.where(reference_key(table.c.reference) == key)
        return named.where(table.c.reference.regexp_match("[^ -~]"))


def _id_prefix(key: str) -> str | None:
    """The view's id text (32 hex digits) that ids written ``str(uuid)`` starting with ``key`` start with, or
    None when no id can (fewer than 8 characters, or not the start of an id's 8-4-4-4-12 form)."""
    dashes = (8, 13, 18, 23)
    if len(key) < 8 or len(key) > 36:
        return None
    for i, ch in enumerate(key):
        if (ch != "-") if i in dashes else (ch not in "0123456789abcdef"):
            return None
    return key.replace("-", "")


def _filtered(table: Table, filters: dict[str, Any], statuses: Sequence[str] | None) -> Any:
    stmt = select(table)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(table.c[name] == value)
    if statuses is not None:
        stmt = stmt.where(table.c.status.in_(statuses))
    return stmt


def _named(column: Any, name: str) -> ColumnElement[Any]:
    """``column or name``, as Python reads it: an empty or missing value is ``name``."""
    return case((func.coalesce(column, "") == "", literal(name)), else_=column)


def code_point_order(expr: Any, engine: Engine) -> Any:
    """``expr`` to sort by: text by code point, as Python sorts ``str``, whatever the column's or the database's
    collation (a locale's would put ``b-1`` before ``B-2``); UTF-8 compared byte by byte is code point order."""
    if expr.type.python_type is not str:
        return expr
    return expr.collate("C" if engine.dialect.name == "postgresql" else "BINARY")


def tax_year_of(text: str) -> int:
    """``2026`` or ``2026-27`` -> 2026 (the tax year 6 April 2026 to 5 April 2027)."""
    head = text.strip().split("-")[0]
    year = whole_number(head, 1000, 9998) if len(head) == 4 else None
    if year is None:
        raise ValueError(f"tax year {text!r}: use the starting year, e.g. 2026 for 2026-27")
    return year
