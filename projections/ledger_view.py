"""The ledger view: one row per payment line, folded from payment events by ``panel.payments.ledger.apply``.

It plugs into the projection engine (``Projector(app, engine, views=[LedgerView])``): each batch's
rows are written in the same transaction as the view's tracking position, so a crash never
double-counts or loses an event. Readers call ``projections.ledger.stream_ledger_lines``, or
``projections.ledger.PersonLedger`` for one person's lines.

Besides the line's fields, ``accrued_position`` is the log position of the line's PaymentAccrued
event: one person's lines read in that order come in the order the ledger's fold meets them. A store
whose view predates the column is upgraded by `panel init`, which adds it and rebuilds the view.

``ix_..._ref`` indexes ``reference_key(reference)``, the reference in lower case as SQL can fold it, for
``projections.ledger.PaymentFinder``; `panel init` adds it to a view made before it (a view without it
is searched all the same, by a scan).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from panel.payments import ledger
from panel.payments.ledger import FIELDS, PAYMENT_TOPICS
from projections.people import TS, utc
from projections.upsert import upsert
from projections.view_base import CHUNK, View

UUID_FIELDS = ("id", "engagement_id", "participant_id")
ACCRUED_POSITION = "accrued_position"
TIME_FIELDS = ("accrued_at", "approved_at", "issued_at", "reconciled_at", "closed_at")
# The characters beyond ASCII that Python's ``str.lower`` makes ASCII (the Kelvin sign alone in Unicode 14, Python
# 3.11; tests/unit/test_reference_key.py checks this against the running Python).
ASCII_LOWERED = {"\u212a": "k"}


class reference_key(FunctionElement[str]):  # lower case: an SQL function, named as SQLAlchemy's are
    """``reference_key(column)``: the text with A-Z and ``ASCII_LOWERED`` in lower case and nothing else
    changed, the same on SQLite and PostgreSQL, in SQL an index can hold. For text of ASCII and
    ``ASCII_LOWERED`` it is Python's ``str.lower``. SQLite's ``lower`` folds only A-Z; PostgreSQL's folds by the
    database's locale (Turkish makes I a dotless i), so there it runs under the "C" collation, which folds A-Z."""

    type = Text()
    inherit_cache = True
    name = "reference_key"


def _folded(element: reference_key, compiler: SQLCompiler, collate: str, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    for char, lowered in ASCII_LOWERED.items():
        text = f"replace({text}, '{char}', '{lowered}')"
    return f"lower({text}{collate})"


@compiles(reference_key)
def _reference_key(element: reference_key, compiler: SQLCompiler, **kw: Any) -> str:
    return _folded(element, compiler, "", **kw)


@compiles(reference_key, "postgresql")
def _reference_key_pg(element: reference_key, compiler: SQLCompiler, **kw: Any) -> str:
    return _folded(element, compiler, ' COLLATE "C"', **kw)


class LedgerView(View):
    name = "ledger"
    rebuild_on_upgrade = True  # accrued_position is known only from the log: an added column is filled by a rebuild

    @classmethod
    def topics(cls) -> set[str]:
        return set(PAYMENT_TOPICS)

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        # every text column unbounded: the limits on what is recorded are panel.domain.text's
        text = (
            "engagement_ref", "participant_ref", "kind", "category", "quantity", "status", "receipt",
            "voucher_code", "voucher_state", "rate_card", "budget_code", "created_by", "approved_by", "route",
            "reference", "batch_ref", "statement_line", "reason",
        )  # fmt: skip
        columns: list[Column[Any]] = [
            Column("id", String(32), primary_key=True),
            Column("engagement_id", String(32), nullable=False),
            Column("participant_id", String(32), nullable=False),
            Column("earned_on", Date, nullable=False),
            Column("statement_date", Date),
            Column("gross_pence", BigInteger, nullable=False),
            Column("amount_pence", BigInteger, nullable=False),
            Column("over_budget", Boolean, nullable=False),
            Column("tax_year", Integer, nullable=False),
            Column("accrued_position", BigInteger),  # the PaymentAccrued event's log position
        ]
        columns += [Column(name, TS) for name in TIME_FIELDS]
        columns += [Column(name, Text) for name in text]
        table = Table(self.table_name("ledger", generation), metadata, *columns)
        Index(f"ix_{table.name}_eid", table.c.engagement_id)
        Index(f"ix_{table.name}_pid", table.c.participant_id)
        Index(f"ix_{table.name}_ref", reference_key(table.c.reference))  # projections.ledger.PaymentFinder
        return {"lines": table}

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[tuple[int, Any]]) -> None:
        table = tables["lines"]
        ids = list({e.originator_id.hex for _, e in events})
        rows: dict[UUID, dict[str, Any]] = {}
        for start in range(0, len(ids), CHUNK):
            for found in conn.execute(select(table).where(table.c.id.in_(ids[start : start + CHUNK]))).mappings():
                row = from_db(found)
                rows[row["id"]] = {**row, ACCRUED_POSITION: found[ACCRUED_POSITION]}
        changed: set[UUID] = set()
        for position, e in events:
            changed_id = ledger.apply(rows, e)
            if changed_id is None:
                continue
            changed.add(changed_id)
            rows[changed_id].setdefault(ACCRUED_POSITION, position)  # the first event of a line accrues it
        upsert(conn, table, [to_db(rows[i]) for i in changed], ["id"])


def to_db(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in UUID_FIELDS:
        out[name] = row[name].hex
    out["tax_year"] = ledger.to_line(row).tax_year
    return out


def from_db(found: Any) -> dict[str, Any]:
    row = {name: found[name] for name in FIELDS}
    for name in UUID_FIELDS:
        row[name] = UUID(row[name])
    for name in TIME_FIELDS:
        row[name] = utc(row[name])
    return row
