"""The ids at the reach report's pool, invited, selected and attended stages, held compactly while the people
table is read (``projections.reach.people_at_stages``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from panel.id_bytes import IdSet, pack_hex
from projections.ledger import STREAM_ROWS

MARKED = ("pool", "invited", "selected", "attended")  # the stages the people table does not say


@dataclass
class StageIds:
    """Who is at the stages the people table does not say (pool, invited, selected, attended): each stage's ids
    as 16 bytes each, sorted (``panel.id_bytes.IdSet``, about 17 bytes an id where a set of strings took over
    100), each marked seen as the people are read, so that what is left are ids the people table does not hold."""

    pool: IdSet
    invited: IdSet
    selected: IdSet
    attended: IdSet

    def take(self, pids: Sequence[str]) -> list[tuple[bool, bool, bool, bool]]:
        """For each of ``pids`` (read from the people table, each once): whether it is at the pool (a candidate:
        eligibility is asked later), invited, selected and attended stages."""
        keys = pack_hex(pids)
        order = keys.argsort()  # searched in order, the stages' arrays are read in order too: fewer cache misses
        found = np.empty((len(MARKED), len(keys)), dtype=bool)
        for row, name in zip(found, MARKED, strict=True):
            row[order] = getattr(self, name).take(keys[order])
        return list(zip(*found.tolist(), strict=True))

    def left(self) -> Iterator[tuple[bool, bool, bool, bool]]:
        """For each id at a stage that ``take`` was never given, in id order: the stages it is at (made a page at a
        time: a Python tuple each would take as much as the set of strings, were most ids left)."""
        lefts = [getattr(self, name).left() for name in MARKED]
        ids = IdSet(np.concatenate(lefts))
        marks = [ids.where(left)[1] for left in lefts]  # each stage's left ids, by their place in ``ids``
        found = np.zeros((len(MARKED), len(ids)), dtype=bool)
        for row, places in zip(found, marks, strict=True):
            row[places] = True
        for start in range(0, len(ids), STREAM_ROWS):
            yield from zip(*found[:, start : start + STREAM_ROWS].tolist(), strict=True)


def stage_names(registered: bool, marks: tuple[bool, bool, bool, bool], holds: Callable[[], bool]) -> list[str]:
    """The stages a person is at: ``marks`` from ``StageIds``, ``holds()`` the engagement's eligibility (asked only
    of pool candidates)."""
    found = ["registered"] if registered else []
    pool, invited, selected, attended = marks
    if pool and holds():
        found.append("pool")
    if invited:
        found.append("invited")
    if selected:
        found.append("selected")
    if attended:
        found.append("attended")
    return found
