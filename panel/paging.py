"""One page of a listing: how many rows, after how many, and whether another page follows.

Every listing command takes ``--limit N --offset N`` (``cli.options.paging_options``); the query
behind it reads ``limit + 1`` rows from ``offset`` in a stable order (in SQL where the rows are in
a table, else by streaming the log) so it knows whether a next page exists without counting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")

MAX_LIMIT = 10_000  # the most rows one page holds: a listing's memory never grows with the panel


@dataclass(frozen=True)
class Page:
    """Rows ``offset + 1`` to ``offset + limit`` of a listing in its stable order."""

    limit: int = 100
    offset: int = 0

    def window(self, rows: Iterable[T]) -> tuple[list[T], bool]:
        """This page of ``rows`` (consumed lazily, at most ``offset + limit + 1``) and whether more follow."""
        taken = list(islice(rows, self.offset, self.offset + self.limit + 1))
        return taken[: self.limit], len(taken) > self.limit

    def cut(self, fetched: list[T]) -> tuple[list[T], bool]:
        """A page read as ``limit + 1`` rows from ``offset`` (``LIMIT limit + 1 OFFSET offset``): rows, more."""
        return fetched[: self.limit], len(fetched) > self.limit

    def collect(self, rows: Iterable[T], into: list[T]) -> Iterator[T]:
        """Every row of ``rows`` passed on as it comes, this page's (and one more) appended to ``into``: for a
        listing whose totals fold over all its rows while only the page is kept (``cut(into)`` after)."""
        for i, row in enumerate(rows):
            if self.offset <= i <= self.offset + self.limit:
                into.append(row)
            yield row

    def next_offset(self, more: bool) -> int | None:
        """The --offset of the next page, or None on the last page."""
        return self.offset + self.limit if more else None

    def fields(self, more: bool) -> dict[str, Any]:
        """What --json output carries about the page: limit, offset and next (the next offset, or null)."""
        return {"limit": self.limit, "offset": self.offset, "next": self.next_offset(more)}

    def footer(self, shown: int, more: bool, noun: str = "rows") -> str | None:
        """The line under a table that says how to see the next page (None when all rows were shown)."""
        if not more and self.offset == 0:
            return None
        first = self.offset + 1 if shown else self.offset
        where = f"Showing {noun} {first}-{self.offset + shown}"
        if not more:
            return f"{where}; this is the last page"
        return f"{where}; next page: --offset {self.offset + self.limit} --limit {self.limit}"
