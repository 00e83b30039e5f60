"""Picking the lines a statement can touch from a source read twice: a source that moved between the two reads
(a line issued in between) is read again, and one that never settles is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from panel.domain.errors import ConcurrentUpdateError
from panel.payments.ledger import LedgerLine
from panel.payments.reconcile import match_statement, parse_statement
from panel.payments.statement_lines import Names, statement_payments

STATEMENT = parse_statement("date,amount,reference\n2026-03-20,-350.00,PP-AAAA\n")


def line(n: int, reference: str, status: str = "issued") -> LedgerLine:
    return LedgerLine(
        id=UUID(int=n), engagement_id=UUID(int=100), engagement_ref="e", participant_id=UUID(int=200 + n),
        participant_ref=f"P-{n}", kind="fee", category="session", earned_on=date(2026, 3, 2), quantity="1 day",
        gross_pence=35_000, amount_pence=35_000, status=status, reference=reference,
        issued_at=datetime(2026, 3, 19, tzinfo=UTC),
    )  # fmt: skip


OLD = [line(1, "PP-AAAA", "reconciled"), line(2, "PP-OLD", "reconciled"), line(3, "PP-BBBB")]


class Source:
    """Lines read twice, the same each time."""

    def __init__(self, every: list[LedgerLine]) -> None:
        self.every = every

    def names(self) -> Iterator[Names]:
        return iter([(p.reference, p.status, p.batch_ref) for p in reversed(self.every)])  # any order

    def lines(self) -> Iterator[LedgerLine]:
        return iter(self.every)


class Moving(Source):
    """A source whose second read of each pair has one more transfer, issued after an older line of it was read
    (reconciled, so the first read passed over it); ``settles_after`` pairs later it stops moving."""

    def __init__(self, settles_after: int) -> None:
        super().__init__([line(4, "PP-LATE", "reconciled"), *OLD])
        self.pairs = 0
        self.settles_after = settles_after

    def names(self) -> Iterator[Names]:
        self.pairs += 1
        return Source([*self.every, *self.late()]).names() if self.pairs > self.settles_after else super().names()

    def lines(self) -> Iterator[LedgerLine]:
        return iter([*self.every, *self.late()])

    def late(self) -> list[LedgerLine]:
        return [line(5, "PP-LATE")]


def test_a_source_read_whole_gives_the_same_report() -> None:
    every = [line(4, "PP-LATE", "reconciled"), *OLD, line(5, "PP-LATE")]
    picked = statement_payments(STATEMENT, "a", Source(every))
    assert [p.id.int for p in picked] == [4, 1, 3, 5]  # PP-OLD, reconciled long ago, is not held
    assert match_statement(STATEMENT, picked, account="a") == match_statement(STATEMENT, every, account="a")


def test_a_source_that_moved_between_the_reads_is_read_again() -> None:
    source = Moving(settles_after=2)
    picked = statement_payments(STATEMENT, "a", source)
    assert source.pairs == 3
    assert [p.id.int for p in picked] == [4, 1, 3, 5]  # the late transfer's earlier line is there too


def test_a_source_that_never_settles_is_refused() -> None:
    with pytest.raises(ConcurrentUpdateError, match="kept changing while the statement was matched: run it again"):
        statement_payments(STATEMENT, "a", Moving(settles_after=99))
