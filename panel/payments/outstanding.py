"""Payment lines not yet finished, grouped as finance reads them: by engagement, person, stage and reference.

One grouping for `panel pay outstanding` and the staff page `/staff/payments`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from panel.payments.ledger import LedgerLine

WAITING = {"accrued": "awaiting approval", "approved": "awaiting issue", "issued": "issued, not cleared"}
SECOND_APPROVAL = "awaiting second approval"

GroupKey = tuple[str, str, str, str]  # engagement reference, participant reference, stage, payment reference


def stage_of(line: LedgerLine) -> str | None:
    """The stage a line waits at, or None when it is finished (cleared, reversed, ...)."""
    if line.status not in WAITING:
        return None
    return SECOND_APPROVAL if line.awaiting_second_approval else WAITING[line.status]


def group_outstanding(lines: Iterable[LedgerLine]) -> dict[GroupKey, list[LedgerLine]]:
    """The unfinished lines by (engagement, participant, stage, payment reference), in the order first seen."""
    groups: dict[GroupKey, list[LedgerLine]] = {}
    for line in lines:
        stage = stage_of(line)
        if stage is not None:
            groups.setdefault((line.engagement_ref, line.participant_ref, stage, line.reference or ""), []).append(line)
    return groups


def stream_outstanding(lines: Iterable[LedgerLine]) -> Iterator[tuple[GroupKey, list[LedgerLine]]]:
    """``group_outstanding``'s groups in its order, from lines in ledger order (each engagement's and person's
    lines together), holding one person's lines in one engagement at a time."""
    block: list[LedgerLine] = []
    for line in lines:
        if block and (line.engagement_ref, line.participant_ref) != (block[0].engagement_ref, block[0].participant_ref):
            yield from group_outstanding(block).items()
            block = []
        block.append(line)
    yield from group_outstanding(block).items()
