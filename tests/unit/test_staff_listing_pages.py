"""The staff listings' paging without a store: the groups of waiting payment lines a page at a time (from lines
in engagement and person order, as ``LedgerReads.waiting`` gives them; the count and sum over all), and which
page numbers the pagination links."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from panel.paging import Page
from panel.payments.ledger import LedgerLine
from web.staff_pages import Outstanding, Pages, paged_outstanding


def line(person: str, pence: int, status: str = "accrued", reference: str | None = None) -> LedgerLine:
    return LedgerLine(uuid4(), uuid4(), "vested", uuid4(), person, "attendance", "day", date(2026, 3, 2), "1",
                      pence, pence, status, reference=reference)  # fmt: skip


# in engagement and person order, a person's stages mixed (a later stage first), one line finished
LINES = [line("VES-001", 20, "approved"), line("VES-001", 10), line("VES-001", 30), line("VES-002", 100),
         line("VES-002", 200), line("VES-003", 1000), line("VES-004", 5, "reconciled")]  # fmt: skip


def test_the_groups_are_whole_sorted_and_counted_over_every_page() -> None:
    groups = [
        Outstanding("vested", "VES-001", "awaiting approval", "", 2, 40),
        Outstanding("vested", "VES-001", "awaiting issue", "", 1, 20),
        Outstanding("vested", "VES-002", "awaiting approval", "", 2, 300),
        Outstanding("vested", "VES-003", "awaiting approval", "", 1, 1000),
    ]
    assert paged_outstanding(LINES, Page(2, 0)) == (groups[:2], 4, 1360)
    assert paged_outstanding(LINES, Page(2, 2)) == (groups[2:], 4, 1360)
    assert paged_outstanding(iter(LINES), Page(2, 4)) == ([], 4, 1360)
    assert paged_outstanding([], Page(2, 0)) == ([], 0, 0)


@pytest.mark.parametrize(
    ("number", "last", "linked"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (2, 3, [1, 2, 3]),
        (1, 4, [1, 2, 3, 4]),
        (1, 9, [1, 2, None, 9]),
        (5, 9, [1, None, 4, 5, 6, None, 9]),
        (4, 9, [1, 2, 3, 4, 5, None, 9]),
        (3, 9, [1, 2, 3, 4, None, 9]),
        (9, 9, [1, None, 8, 9]),
    ],
)
def test_the_page_numbers_linked(number: int, last: int, linked: list[int | None]) -> None:
    assert Pages("/staff/audit", number, last, 1, 1, last * 50).numbers() == linked
