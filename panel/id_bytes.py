"""Participant ids held compactly: each id as its 16 bytes in a numpy array (dtype ``S16``), sorted, and found
by binary search. A Python set of a million ids (32-character hex strings) takes about 110 MB; an ``IdSet``
of them takes 17 MB (16 bytes an id and one for its "seen" mark).

numpy gives an ``S16`` item back without its trailing zero bytes (an id ending in ``00`` comes back 15 bytes
long or shorter), so ids are compared as whole arrays, never item by item, and turned back into hex from the
array's raw bytes (``hex_ids``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

ID_BYTES = np.dtype("S16")  # a participant's id, as its 16 bytes
HEX_DIGITS = 2 * ID_BYTES.itemsize
PACKED = 65_536  # ids packed at a time while collecting, so that only this many are held as strings


def pack_hex(texts: Sequence[str]) -> np.ndarray:
    """The ids ``texts`` (each 32 hex digits, as ``UUID.hex`` writes them) as 16 bytes each, in the same order.

    Raises ValueError if one is not 32 hex digits."""
    if any(len(text) != HEX_DIGITS for text in texts):
        bad = next(text for text in texts if len(text) != HEX_DIGITS)
        raise ValueError(f"not a participant id (32 hex digits): {bad!r}")
    return np.frombuffer(bytes.fromhex("".join(texts)), dtype=ID_BYTES)


def hex_ids(ids: np.ndarray) -> list[str]:
    """The ids in ``ids`` (``S16``) as 32 hex digits each, trailing zero bytes included."""
    text = np.ascontiguousarray(ids, dtype=ID_BYTES).tobytes().hex()
    return [text[i : i + HEX_DIGITS] for i in range(0, len(text), HEX_DIGITS)]


class IdSet:
    """A set of ids, sorted and without repeats, each with a "seen" mark in place of removing it: ``take`` finds
    ids and marks them seen, and ``left`` gives the ids never seen."""

    def __init__(self, ids: np.ndarray) -> None:
        """``ids``: any ``S16`` array (it is sorted and its repeats dropped, in place when it can be)."""
        ids = np.asarray(ids, dtype=ID_BYTES)
        if not ids.flags.writeable:  # np.frombuffer's (pack_hex): sorted in a copy
            ids = ids.copy()
        ids.sort()
        if len(ids) > 1:
            ids = ids[np.concatenate(([True], ids[1:] != ids[:-1]))]
        self.ids = ids
        self.seen = np.zeros(len(ids), dtype=bool)

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each of ``keys`` (``S16``): whether the set holds it, and its place in ``ids`` (valid where held)."""
        places = self.ids.searchsorted(keys)
        if not len(self.ids):
            return np.zeros(len(keys), dtype=bool), places
        places = np.minimum(places, len(self.ids) - 1)
        return self.ids[places] == keys, places

    def take(self, keys: np.ndarray) -> np.ndarray:
        """For each of ``keys``: whether the set holds it and it was not seen before; all of them are then seen.
        (A key given twice in one call counts both times: pass each id once, as a table's key gives them.)"""
        held, places = self.where(keys)
        if not len(self.ids):
            return held
        fresh: np.ndarray = held & ~self.seen[places]
        self.seen[places[fresh]] = True
        return fresh

    def left(self) -> np.ndarray:
        """The ids never seen, in order."""
        return self.ids[~self.seen]


class IdCollector:
    """Gathers ids given one at a time as hex into an ``IdSet``, holding at most ``PACKED`` of them as strings."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.packed: list[np.ndarray] = []

    def add(self, text: str) -> None:
        self.texts.append(text)
        if len(self.texts) >= PACKED:
            self._pack()

    def extend(self, texts: Iterable[str]) -> IdCollector:
        for text in texts:
            self.add(text)
        return self

    def done(self) -> IdSet:
        self._pack()
        ids = np.concatenate(self.packed) if self.packed else np.empty(0, dtype=ID_BYTES)
        self.packed = []
        return IdSet(ids)

    def _pack(self) -> None:
        if self.texts:
            self.packed.append(np.unique(pack_hex(self.texts)))  # repeats dropped early: a person's rows
            self.texts = []
