"""`panel pay export --lines` streams: the view sorts the lines by group, nothing holds the whole ledger.

Its output is byte for byte what the export wrote when it sorted every line in memory (the
reference below is that implementation, as it stood at commit 0307fd7), on SQLite and PostgreSQL,
on a store whose engagement references, budget codes and routes sort differently by byte and by a
locale's collation (upper and lower case, punctuation), over two tax years.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from cli.pay_reports import EXPORT_KEYS, LEDGER_COLUMNS, ledger_row
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.csv_out import write_csv
from panel.engagements import Engagements
from panel.participation import Participation
from panel.payments import Payments
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections import ledger as ledger_reader
from projections.connection import make_engine
from projections.ledger import EXPORT_GROUPS, code_point_order, stream_ledger_lines

T0 = datetime(2025, 1, 6, tzinfo=UTC)
# (reference, budget code or None, route or None, session days): two tax years (2024-25 and 2025-26)
ENGAGEMENTS = [
    ("zeta", "b-1", "payroll", [date(2025, 3, 3), date(2025, 4, 7)]),
    ("Alpha", None, None, [date(2025, 3, 4)]),
    ("beta", "B-2", "bank_transfer", [date(2025, 4, 8), date(2025, 4, 9)]),
    ("Bz", "b-1", "cash", [date(2025, 3, 5)]),
]
PEOPLE = ["ves-1", "VES-2", "Ves_3", "ábc-4"]


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def mixed_ledger(app: PanelApp) -> None:
    """Four engagements, four people each, several lines each; some approved and issued by a route."""
    pids = [
        Registration(app).register(
            SignUp(ref=ref, channel="online", at=T0, consents=(ConsentSpec("contact", "v1", "online", "self"),))
        )
        for ref in PEOPLE
    ]
    pay = Payments(app)
    for ref, code, route, days in ENGAGEMENTS:
        eid = Engagements(app).open_engagement(
            name=ref, ref=ref, purpose="p", kind="involve", sessions=days, day_rate_pence=35000, at=T0
        )
        Participation(app).invite(eid, pids, at=T0)
        for pid in pids:
            Participation(app).respond(eid, pid, accept=True, at=T0)
            for day in days:
                Participation(app).attend(eid, pid, day, at=at(day))
        if code is not None:
            pay.set_budget(eid, code=code, amount_pence=10_000_00, four_eyes_above_pence=10_000_00, by="lee")
        pay.accrue(eid, by="sam", at=at(days[-1]))
        pay.claim_expense(eid, pids[0], category="travel", amount_pence=1240, receipt="R1", by="sam", spent_on=days[0])
        if route is not None:
            ids = [line.id for line in pay.lines(engagement=eid)]
            pay.approve(ids, by="lee", at=at(days[-1]))
            pay.issue(ids, route=route, by="kim", at=at(days[-1]))


def export_as_it_was(app: PanelApp, location: StoreLocation, key: str, tax_year: int | None = None) -> str:
    """`pay export --by KEY --lines` as commit 0307fd7 wrote it: every line sorted in memory by its group."""
    group = EXPORT_KEYS[key]
    engine = make_engine(location)
    try:
        lines = sorted(stream_ledger_lines(app, engine, tax_year=tax_year), key=group)
        out = io.StringIO()
        write_csv(out, (key, *LEDGER_COLUMNS), ([group(line), *ledger_row(line)] for line in lines))
        return out.getvalue()
    finally:
        engine.dispose()


def test_every_export_key_has_its_order_in_the_view() -> None:
    assert set(EXPORT_GROUPS) == set(EXPORT_KEYS)


@pytest.mark.parametrize("key", sorted(EXPORT_KEYS))
def test_the_streamed_export_is_byte_for_byte_the_sorted_one(
    app: PanelApp, location: StoreLocation, panel: Any, key: str
) -> None:
    mixed_ledger(app)
    out = panel("pay", "export", "--by", key, "--lines").out
    assert out == export_as_it_was(app, location, key)
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) > 20
    assert len({row[0] for row in rows[1:]}) > 1  # several groups


def test_the_streamed_export_of_one_tax_year_is_the_sorted_one(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    mixed_ledger(app)
    out = panel("pay", "export", "--by", "budget", "--tax-year", "2024", "--lines").out
    assert out == export_as_it_was(app, location, "budget", tax_year=2024)
    assert {row[-2] for row in list(csv.reader(io.StringIO(out)))[1:]} == {"2024-25"}


def test_the_export_holds_one_line_not_the_ledger(
    app: PanelApp, location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command (in this process, to watch it) writes each row after reading one more line of the view,
    a row at a time: it never holds a group, let alone the ledger. Sorting in memory reads them all first."""
    from click.testing import CliRunner

    import cli.pay_reports
    from cli.main import cli as panel_cli
    from tests.helpers.proc import store_env

    mixed_ledger(app)
    engine = make_engine(location)
    list(stream_ledger_lines(app, engine))  # the view caught up before the spy watches the reading
    engine.dispose()
    read: list[UUID] = []
    written: list[int] = []  # how many lines had been read when each row was written
    to_line = ledger_reader.ledger.to_line

    def reading(row: dict[str, Any]) -> Any:
        read.append(row["id"])
        return to_line(row)

    def writing(header: Any, rows: Any) -> None:
        for _ in rows:
            written.append(len(read))

    monkeypatch.setattr(ledger_reader, "STREAM_ROWS", 1)
    monkeypatch.setattr(ledger_reader.ledger, "to_line", reading)
    monkeypatch.setattr(cli.pay_reports, "print_csv", writing)
    for key in sorted(EXPORT_KEYS):
        read.clear()
        written.clear()
        ran = CliRunner().invoke(panel_cli, ["pay", "export", "--by", key, "--lines"], env=store_env(location))
        assert ran.exit_code == 0, ran.output
        assert len(written) > 20
        assert written == list(range(1, len(written) + 1))


def test_groups_sort_by_code_point_whatever_the_collation(location: StoreLocation) -> None:
    """A column (or a database) with a locale's collation sorts ``b-1`` before ``B-2``; Python does not."""
    engine = make_engine(location)
    collation = "en-x-icu" if engine.dialect.name == "postgresql" else "NOCASE"
    table = Table("collation_probe", MetaData(), Column("name", String(20, collation=collation)))
    names = ["beta", "Bz", "b-1", "B-2", "(no code)", "ábc"]
    try:
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"name": n} for n in names])
        with engine.connect() as conn:
            found = list(conn.scalars(select(table.c.name).order_by(code_point_order(table.c.name, engine))))
            as_declared = list(conn.scalars(select(table.c.name).order_by(table.c.name)))
        assert found == sorted(names)
        assert as_declared != sorted(names)  # the probe's collation does differ
    finally:
        with engine.begin() as conn:
            table.drop(conn)
        engine.dispose()
