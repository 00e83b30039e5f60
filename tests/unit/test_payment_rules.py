"""Unit tests of the pure payment rules: fees, caps, tax years, benefit weeks, thresholds, statements."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from panel.domain.errors import ValidationError
from panel.payments.ledger import LedgerLine
from panel.payments.reconcile import StatementFormatError, match_statement, parse_statement
from panel.payments.rules import (
    allocate_cap,
    benefit_week_start,
    load_thresholds,
    session_fee,
    tax_year_label,
    tax_year_start,
)
from panel.payments.totals import person_totals


def test_day_rate_full_and_half_day_with_odd_penny_to_the_participant() -> None:
    assert session_fee("day", 35000, False) == (35000, "1 day")
    assert session_fee("day", 35000, True) == (17500, "0.5 day")
    assert session_fee("day", 35001, True) == (17501, "0.5 day")
    assert session_fee("half_day", 17500, False) == (35000, "2 half days")
    assert session_fee("hour", 2501, True, hours_per_day=3) == (3752, "1.5 hours")
    assert session_fee("hour", 2500, True, hours_per_day=6) == (7500, "3 hours")
    assert session_fee("session", 5000, True) == (5000, "1 session")
    with pytest.raises(ValidationError, match="task"):
        session_fee("task", 5000, False)


def test_a_lower_total_pays_earlier_sessions_first() -> None:
    assert allocate_cap([35000, 35000, 35000, 35000], 100000) == [35000, 35000, 30000, 0]
    assert allocate_cap([35000, 17500], 0) == [0, 0]
    assert allocate_cap([35000], -5) == [0]


@pytest.mark.parametrize(
    ("day", "start"),
    [(date(2026, 4, 5), 2025), (date(2026, 4, 6), 2026), (date(2027, 1, 1), 2026), (date(2027, 4, 5), 2026)],
)
def test_uk_tax_year_runs_6_april_to_5_april(day: date, start: int) -> None:
    assert tax_year_start(day) == start
    assert tax_year_label(2025) == "2025-26"
    assert tax_year_label(2099) == "2099-00"


def test_benefit_week_starts_on_the_configured_day() -> None:
    assert benefit_week_start(date(2026, 3, 5)) == date(2026, 3, 2)  # Thursday -> Monday
    assert benefit_week_start(date(2026, 3, 5), week_starts=3) == date(2026, 3, 5)
    assert benefit_week_start(date(2026, 3, 4), week_starts=3) == date(2026, 2, 26)


def test_thresholds_are_dated_and_can_be_overridden(tmp_path: Path) -> None:
    shipped = load_thresholds()
    assert [t.name for t in shipped.in_force("tax_year", date(2026, 4, 6))] == [
        "trading_allowance",
        "personal_allowance",
    ]
    assert shipped.in_force("tax_year", date(2030, 4, 6))[0].name == "trading_allowance"
    mine = tmp_path / "t.json"
    mine.write_text(
        json.dumps(
            {
                "benefit_week_starts": 2,
                "thresholds": [
                    {
                        "name": "uc_work_allowance",
                        "period": "benefit_week",
                        "amount": "100.00",
                        "from": "2026-01-01",
                        "to": "2026-12-31",
                    }
                ],
            }
        )
    )
    custom = load_thresholds(mine)
    assert custom.week_starts == 2 and custom.items[0].amount_pence == 10000
    assert custom.in_force("benefit_week", date(2027, 1, 1)) == []
    mine.write_text(json.dumps({"thresholds": [{"name": "x", "period": "month", "amount": "1", "from": "2026-01-01"}]}))
    with pytest.raises(ValidationError, match="threshold 1: period 'month'"):
        load_thresholds(mine)


def line(
    ref: str,
    amount: int,
    *,
    status: str = "issued",
    kind: str = "involvement_fee",
    earned: date = date(2026, 3, 2),
    issued: date | None = date(2026, 3, 20),
    reference: str | None = None,
    pid=None,
) -> LedgerLine:  # type: ignore[no-untyped-def]
    return LedgerLine(
        id=uuid4(),
        engagement_id=uuid4(),
        engagement_ref="e",
        participant_id=pid or uuid4(),
        participant_ref=ref,
        kind=kind,
        category="day",
        earned_on=earned,
        quantity="1 day",
        gross_pence=amount,
        amount_pence=amount,
        status=status,
        reference=reference,
        issued_at=datetime.combine(issued, datetime.min.time(), UTC) if issued else None,
    )


def test_person_totals_count_income_not_expenses_against_thresholds(tmp_path: Path) -> None:
    pid = uuid4()
    lines = [
        line("A", 1500, pid=pid, issued=date(2026, 3, 2)),
        line("A", 1000, pid=pid, issued=date(2026, 3, 4)),
        line("A", 9999, pid=pid, kind="expense", issued=date(2026, 3, 4)),
        line("A", 2000, pid=pid, issued=date(2026, 4, 7)),
        line("A", 500, pid=pid, status="reversed"),
    ]
    got = person_totals(lines, load_thresholds())
    assert [(t.label, t.income_pence, t.over) for t in got] == [
        ("2025-26", 2500, ()),
        ("2026-27", 2000, ()),
        ("week of 2026-03-02", 2500, ("permitted_work_lower_limit",)),
        ("week of 2026-04-06", 2000, ()),
    ]
    assert sum(t.income_pence for t in got if t.period == "tax_year") == 4500


def test_statement_errors_name_every_bad_line_and_return_nothing() -> None:
    text = "date,amount,reference,payee\n2026-03-21,abc,PP-1,X\n21/03/2026,12.40,PP-2,Y\n2026-02-30,1.00,PP-3,Z\n"
    with pytest.raises(StatementFormatError) as caught:
        parse_statement(text, "s.csv")
    assert "s.csv:2: amount 'abc'" in str(caught.value) and "s.csv:4: date '2026-02-30'" in str(caught.value)
    assert "s.csv:3" not in str(caught.value)
    with pytest.raises(StatementFormatError, match="s.csv:1: no 'reference' column for the reference"):
        parse_statement("date,amount,payee\n", "s.csv")
    with pytest.raises(StatementFormatError, match="no statement lines"):
        parse_statement("date,amount,reference,payee\n", "s.csv")
    parsed = parse_statement(
        "Date,Amount,Reference,Payee,Balance\n21/03/2026,-1,240.00,x,y\n".replace("-1,240", "-1240")
    )
    assert parsed[0].day == date(2026, 3, 21) and parsed[0].amount_pence == 124000


def test_matching_by_reference_then_amount_and_date_within_tolerance() -> None:
    a, b = line("A", 35000, reference="PP-AAAA0001"), line("B", 20000, reference="PP-BBBB0002")
    c, d = line("C", 35000, reference="PP-CCCC0003"), line("D", 35000, reference="PP-DDDD0004", issued=date(2026, 3, 1))
    statement = parse_statement(
        "date,amount,reference,payee\n"
        "2026-03-21,-350.00,FP PP-AAAA0001,A\n"  # by reference (contained)
        "2026-03-22,200.00,,B\n"  # by amount and date
        "2026-03-21,-350.00,,C or D\n"  # only C is within 3 days
        "2026-03-21,-350.00,FP PP-AAAA0001,A\n"
    )  # duplicate line
    report = match_statement(statement, [a, b, c, d], account="acc")
    assert [(m.line.number, m.payments[0].participant_ref, m.matched_by) for m in report.matched] == [
        (2, "A", "reference"),
        (3, "B", "amount_date"),
        (4, "C", "amount_date"),
    ]
    assert [(s.number, note) for s, note in report.duplicates] == [(5, "same as statement line 2")]
    assert [(ps[0].participant_ref, age) for ps, age in report.not_cleared] == [
        ("D", 21)
    ]  # as of the last statement date, 22 March
    wide = match_statement(statement[2:3], [c, d], account="acc", tolerance_days=30)
    assert wide.matched == [] and "2 issued payments fit" in wide.unmatched[0][1]
