"""The people a fatigue report lists, kept compactly: a row of numbers each (``COLUMNS``), their ids and
references as UTF-8 in one buffer, sorted with numpy, and each ``PersonFatigue`` made only when it is read
(``RankedPeople``). About 150 bytes a person, where a ``PersonFatigue`` with its three dicts took over a
kilobyte: the report of a national panel lists hundreds of thousands of people."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

WINDOWS = (30, 90, 365)
# A listed person's row of figures: engagements attended, invitations, acceptances and attendances in each window,
# days since their last attendance.
COLUMNS = (
    "participations",
    *(f"{kind} {days}d" for kind in ("invited", "accepted", "attended") for days in WINDOWS),
    "days since last",
)
FIRST_COLUMN = {"invited": 1, "accepted": 1 + len(WINDOWS), "attended": 1 + 2 * len(WINDOWS)}
INVITED_365 = COLUMNS.index("invited 365d")
CHUNK = 10_000  # people converted or made at a time


@dataclass(frozen=True)
class PersonFatigue:
    participant_id: str
    ref: str | None
    invitations: dict[int, int]
    acceptances: dict[int, int]
    attendances: dict[int, int]
    participations: int
    days_since_last: int | None


class Texts:
    """Strings (or None) kept as UTF-8 in one buffer: a few bytes each, where a list of ``str`` costs 60 or more."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends = array("q")
        self.missing = bytearray()

    def append(self, text: str | None) -> None:
        self.data += (text or "").encode("utf-8", "surrogatepass")
        self.ends.append(len(self.data))
        self.missing.append(text is None)

    def __getitem__(self, i: int) -> str | None:
        if self.missing[i]:
            return None
        start = self.ends[i - 1] if i else 0
        return self.data[start : self.ends[i]].decode("utf-8", "surrogatepass")

    def sort_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Two ``np.lexsort`` keys, the bytes padded to one width and then the length, that order the texts (None
        as "") as Python orders ``str``: UTF-8 compared byte by byte is code points compared one by one, and the
        length breaks the ties that padding with NUL bytes makes ("a" before "a\\x00")."""
        ends = np.array(self.ends, dtype=np.int64)
        starts = np.concatenate((np.zeros(1, dtype=np.int64), ends[:-1]))
        lengths = ends - starts
        padded = np.zeros(len(ends), dtype=f"S{max(1, int(lengths.max(initial=0)))}")
        view = memoryview(self.data)
        for lo in range(0, len(ends), CHUNK):
            spans = zip(starts[lo : lo + CHUNK].tolist(), ends[lo : lo + CHUNK].tolist(), strict=True)
            padded[lo : lo + CHUNK] = [view[a:b].tobytes() for a, b in spans]
        view.release()
        return padded, lengths


class ListedPeople:
    """The people a report lists, in id order as they are read: a row of ``COLUMNS`` each, their ids, references."""

    def __init__(self) -> None:
        self.figures = array("i")
        self.ids = Texts()
        self.refs = Texts()
        self._table: np.ndarray | None = None

    def add(self, pid: str, ref: str | None, figures: list[int]) -> None:
        self.figures.extend(figures)
        self.ids.append(pid)
        self.refs.append(ref)

    def table(self) -> np.ndarray:
        """The figures as an array, one row a person (read, not copied: nobody can be added after this)."""
        if self._table is None:
            self._table = np.frombuffer(self.figures, dtype=np.intc).reshape(-1, len(COLUMNS))
        return self._table

    def at_least(self, participations: int) -> int:
        """How many have attended at least this many engagements."""
        return int(np.count_nonzero(self.table()[:, 0] >= participations))

    def ranked(self) -> RankedPeople:
        """Everyone, most engagements first, then most invitations in 365 days, then by reference (None as "", in
        Python's order), and the ties in id order: ``sorted`` with that key over the id order, as a stable sort."""
        table = self.table()
        refs, lengths = self.refs.sort_keys()
        order = np.lexsort((lengths, refs, -table[:, INVITED_365], -table[:, 0]))
        return RankedPeople(self, order)

    def person(self, i: int) -> PersonFatigue:
        n = len(WINDOWS)
        row = self.table()[i].tolist()
        return PersonFatigue(
            self.ids[i] or "",  # an id is never None
            self.refs[i],
            dict(zip(WINDOWS, row[1 : 1 + n], strict=True)),
            dict(zip(WINDOWS, row[1 + n : 1 + 2 * n], strict=True)),
            dict(zip(WINDOWS, row[1 + 2 * n : 1 + 3 * n], strict=True)),
            row[0],
            None if row[-1] < 0 else row[-1],
        )


class RankedPeople(Sequence[PersonFatigue]):
    """People of a fatigue report in the report's order, each made when it is read: a slice is another
    ``RankedPeople`` over the same figures, so the table's top 20 makes 20 people and ``--csv`` one at a time."""

    def __init__(self, listed: ListedPeople, order: np.ndarray) -> None:
        self._listed, self._order = listed, order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, key: int) -> PersonFatigue: ...
    @overload
    def __getitem__(self, key: slice) -> RankedPeople: ...

    def __getitem__(self, key: int | slice) -> PersonFatigue | RankedPeople:
        if isinstance(key, slice):
            return RankedPeople(self._listed, self._order[key])
        return self._listed.person(int(self._order[key]))

    def __iter__(self) -> Iterator[PersonFatigue]:
        for lo in range(0, len(self._order), CHUNK):
            for i in self._order[lo : lo + CHUNK].tolist():
                yield self._listed.person(i)

    def __eq__(self, other: object) -> bool:
        """Equal to a sequence of the same people in the same order (as the list the report held was)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal by value, as a list

    def __repr__(self) -> str:
        return f"<RankedPeople: {len(self)} people>"
