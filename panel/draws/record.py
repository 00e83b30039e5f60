"""A draw's type table and slots: what lets a draw be re-run after any of its members is erased.

The pool is described by a **type table**: each distinct combination of the quota features' values
(plus an anonymous household group when households are checked) with the number of members who
have it. Row by row, the members take consecutive **slots** ("0000", "0001", ...). The selection
runs on the slots, so the table alone (aggregate, like the quota table) is enough to re-run it.

Which slot is whose is sealed under each member's own data key: readable while they are in the
store, noise once they are erased. An erased member is then only "one of the slots nobody else
claims", and what a verification can still check is stated exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import selection
from panel.draws.pool_builder import PoolMember
from panel.store.sealing import seal, unseal

TypeRow = tuple[tuple[str, ...], str | None]  # the feature values (in the draw's feature order), household group


@dataclass(frozen=True)
class SlotTable:
    """The type table and each slot's row; at draw time also which member holds which slot."""

    rows: list[TypeRow]
    counts: list[int]
    holder: dict[str, UUID]  # slot -> member (draw time only: never recorded in clear)

    @property
    def slots(self) -> list[str]:
        return slot_ids(self.counts)

    def recorded(self) -> list[list[Any]]:
        """The table as the draw records it: [[values...], household group or None, count]."""
        return [[list(values), group, count] for (values, group), count in zip(self.rows, self.counts, strict=False)]


def slot_ids(counts: Sequence[int]) -> list[str]:
    """The slot ids of a table with these row counts, zero-padded so they sort in slot order."""
    total = sum(counts)
    width = max(4, len(str(max(total - 1, 0))))
    return [f"{i:0{width}d}" for i in range(total)]


def slot_rows(counts: Sequence[int]) -> list[int]:
    """The row of each slot, in slot order."""
    return [row for row, count in enumerate(counts) if count for _ in range(count)]


def table_from_record(recorded: Sequence[Sequence[Any]]) -> tuple[list[TypeRow], list[int]]:
    """The rows and counts of a recorded type table."""
    rows = [(tuple(str(v) for v in entry[0]), None if entry[1] is None else str(entry[1])) for entry in recorded]
    return rows, [int(entry[2]) for entry in recorded]


def _household_groups(members: Sequence[PoolMember]) -> dict[str, str]:
    """Anonymous group names for households holding two or more pool members (others need no group)."""
    sizes = Counter(m.household for m in members if m.household is not None)
    groups: dict[str, str] = {}
    for member in sorted(members, key=lambda m: m.id.hex):
        if member.household is not None and sizes[member.household] > 1 and member.household not in groups:
            groups[member.household] = f"h{len(groups) + 1}"
    return groups


def row_of(member: PoolMember, features: Sequence[str], groups: dict[str, str]) -> TypeRow:
    values = tuple(member.features.get(f, "") for f in features)
    return values, None if member.household is None else groups.get(member.household)


def build_slots(members: Sequence[PoolMember], features: Sequence[str]) -> SlotTable:
    """Group the members into type rows (sorted) and give each member a slot, row by row."""
    groups = _household_groups(members)
    by_row: dict[TypeRow, list[PoolMember]] = {}
    for member in members:
        by_row.setdefault(row_of(member, features, groups), []).append(member)
    rows = sorted(by_row, key=lambda r: (r[0], r[1] or ""))
    counts = [len(by_row[r]) for r in rows]
    ordered = [m for r in rows for m in sorted(by_row[r], key=lambda m: m.id.hex)]
    return SlotTable(rows, counts, dict(zip(slot_ids(counts), (m.id for m in ordered), strict=False)))


def slot_candidates(
    rows: Sequence[TypeRow], counts: Sequence[int], features: Sequence[str]
) -> list[selection.Candidate]:
    """The selection's candidates: one per slot, with its row's values and household group."""
    slots = slot_ids(counts)
    return [
        selection.Candidate(id=slot, features=dict(zip(features, rows[row][0], strict=False)), household=rows[row][1])
        for slot, row in zip(slots, slot_rows(counts), strict=False)
    ]


def seal_slot(key: bytes, member: UUID, draw: UUID, slot: str) -> str:
    """The member's slot in this draw, sealed under their own key (bound to them and to the draw)."""
    return seal(key, member, {"draw": draw.hex, "slot": slot})


def open_slot(key: bytes, member: UUID, draw: UUID, sealed: str) -> str | None:
    """The member's slot, or None when the sealed value cannot be opened or names another draw."""
    try:
        data = unseal(key, member, sealed)
    except Exception:  # noqa: BLE001 - InvalidTag, bad base64 or JSON: a corrupted value is reported, never raised
        return None
    if not isinstance(data, dict) or data.get("draw") != draw.hex or not isinstance(data.get("slot"), str):
        return None
    return str(data["slot"])


@dataclass(frozen=True)
class Claims:
    """Which pool member holds which slot, as far as their keys still tell."""

    slot_of: dict[UUID, str]  # members whose sealed slot opened
    erased: list[UUID]  # members without a key any more: their slot is one nobody else claims
    unreadable: list[UUID]  # members with a key whose sealed slot does not open (a corrupted record)


def claim_slots(draw_id: UUID, pool: Sequence[Sequence[Any]], keys: dict[UUID, bytes]) -> Claims:
    """Open every pool member's sealed slot with their key."""
    slot_of: dict[UUID, str] = {}
    erased: list[UUID] = []
    unreadable: list[UUID] = []
    for row in pool:
        pid = UUID(str(row[0]))
        key = keys.get(pid)
        if key is None:
            erased.append(pid)
            continue
        slot = open_slot(key, pid, draw_id, str(row[3])) if len(row) > 3 else None
        if slot is None:
            unreadable.append(pid)
        else:
            slot_of[pid] = slot
    return Claims(slot_of, erased, unreadable)
