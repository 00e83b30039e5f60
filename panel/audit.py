"""Audit: check the stored events against their hash chain (``panel.store.chain``).

``Audit(app).verify()`` walks the events and the chain side by side by position, a page of each at
a time (memory stays bounded whatever the log's length), recomputes every event's digest and every
chain hash, and stops at the first position where they disagree, naming the kind of break:

- ``changed``: the event's stored bytes are not the ones chained there, and no other position
  chained them (or the chain row itself does not follow from the one before);
- ``missing``: the chain has a row for a position that has no event (an event was deleted);
- ``inserted``: an event has no chain row (it was written around the application);
- ``reordered``: the event at this position is one the chain recorded at another position.

What it cannot see alone: the last events removed together with their chain rows, or a chain
recomputed from scratch by someone who can write both tables. Published checkpoints of the head
(position and hash) close that gap: docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from panel.application import PanelApp
from panel.domain.errors import ValidationError
from panel.store.chain import GENESIS, UPGRADE_SETTING, Link, digest, link
from panel.store.chain_check import SPAN

PAGE = 5000
CHECKERS = 2  # spans checked at once, each by the database on its own connection
KINDS = ("changed", "missing", "inserted", "reordered")
R = TypeVar("R")


@dataclass(frozen=True)
class ChainReport:
    """What ``verify`` found: OK with the head it reached, or the first broken position and why."""

    ok: bool
    start: int  # the first position checked
    checked: int  # events verified (before the break, when broken)
    head_position: int | None  # the last position verified (None: nothing verified)
    head_hash: str | None  # its chain hash, hex
    position: int | None = None  # the first bad position
    kind: str | None = None  # one of KINDS
    detail: str = ""
    upgraded: str | None = None  # "<events> <last position> <time>": chained at an upgrade, not as written


class Audit:
    """Checks of the store's own record: the hash chain over the stored events."""

    def __init__(self, app: PanelApp, page: int = PAGE) -> None:
        self.app = app
        self.recorder: Any = app.recorder  # the chained recorders of panel.store.recorders
        self.page = page

    def verify(self, start: int | None = None, stop: int | None = None) -> ChainReport:
        """Verify the chain from position ``start`` (default: the first), trusting the chain row before it,
        up to ``stop`` (default: the last)."""
        last = self.recorder.max_position()
        stop = last if stop is None else min(stop, last)
        first = start or 1
        if start is not None and start > max(last, 1):
            raise ValidationError(
                f"--from {start} is after the last position in the store ({last}): use a position from 1 to {last}"
            )
        agreed, after = self._in_database(first - 1, stop)
        base: Link | None = self.recorder.link_before(after + 1) if after >= 1 else None
        walk = _Walk(self.recorder, base.hash if base else GENESIS)
        report = walk.run(
            _paged(self.recorder.select_stored, after, stop, self.page, lambda e: e[0]),
            _paged(self.recorder.select_links, after, stop, self.page, lambda c: c.position),
        )
        head = walk.head or base
        upgraded = self.app.keys.setting(UPGRADE_SETTING)
        return ChainReport(
            ok=report is None,
            start=first,
            checked=agreed + walk.checked,
            head_position=head.position if head else None,
            head_hash=head.hash.hex() if head else None,
            position=report[0] if report else None,
            kind=report[1] if report else None,
            detail=report[2] if report else "",
            upgraded=upgraded.decode() if upgraded else None,
        )

    def _in_database(self, after: int, stop: int) -> tuple[int, int]:
        """Check the chain inside the database, a span at a time, where the store can (PostgreSQL): (rows that
        agreed, the last position they cover). The walk in Python then starts there: at the first span that
        does not agree, to name the break, or at ``stop``, with nothing left to walk."""
        span = getattr(self.recorder, "chain_span_agrees", None)
        if span is None:
            return 0, after
        bounds = [(low, min(stop, low + SPAN)) for low in range(after, stop, SPAN)]
        agreed = 0
        pool = ThreadPoolExecutor(CHECKERS, thread_name_prefix="chain-check")  # each span on its own connection
        try:
            for (low, _), checked in zip(bounds, pool.map(lambda b: span(*b), bounds), strict=True):
                if checked is None or not checked[1]:
                    return agreed, low
                agreed += checked[0]
            return agreed, stop
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # the spans after a break are not started


class _Walk:
    """The side-by-side walk of events and chain rows; ``run`` returns the first break, or None."""

    def __init__(self, recorder: Any, previous: bytes) -> None:
        self.recorder = recorder
        self.previous = previous
        self.head: Link | None = None
        self.checked = 0

    def run(
        self, events: Iterator[tuple[int, bytes, int, str, bytes]], chain: Iterator[Link]
    ) -> tuple[int, str, str] | None:
        event, row = next(events, None), next(chain, None)
        while event is not None or row is not None:
            if event is not None and (row is None or event[0] < row.position):
                return event[0], "inserted", "an event the chain does not record (written around the application)"
            if row is not None and (event is None or row.position < event[0]):
                return row.position, "missing", "the chain records an event here that is no longer stored (deleted)"
            if event is None or row is None:  # unreachable: both are set here (for the type checker)
                break
            try:
                found = digest(*event[1:])
            except (TypeError, AttributeError, OverflowError):  # a version or topic of the wrong type: edited by hand
                return event[0], "changed", "the stored row does not even have the types the store writes"
            if found != row.digest:
                return self._moved_or_changed(event[0], found)
            if link(self.previous, row.position, row.digest) != row.hash:
                return row.position, "changed", "the chain row does not follow from the one before it (chain edited)"
            self.previous, self.head, self.checked = row.hash, row, self.checked + 1
            event, row = next(events, None), next(chain, None)
        return None

    def _moved_or_changed(self, position: int, found: bytes) -> tuple[int, str, str]:
        elsewhere = [p for p in self.recorder.positions_of_digest(found) if p != position]
        if elsewhere:
            return position, "reordered", f"this event was chained at position {elsewhere[0]}"
        return position, "changed", "the stored bytes differ from the ones chained here"


def _paged(
    select: Callable[[int, int], Sequence[R]], after: int, stop: int, page: int, position: Callable[[R], int]
) -> Iterator[R]:
    """The rows after ``after`` up to ``stop``, read ``page`` at a time."""
    while after < stop:
        rows = select(after, page)
        for row in rows:
            if position(row) > stop:
                return
            yield row
        if len(rows) < page:
            return
        after = position(rows[-1])
