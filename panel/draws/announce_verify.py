"""Verify a revealed draw from its announcement (used by ``panel draw verify``).

The selection is re-run as the announcement ran it (its seed, no public randomness, no reserves);
that re-run must give the announced lottery. The announcement's own hash, its pool commitments
(for every member whose key still exists) and the revealed numbers must then give the recorded
index, panel and reserves by the published rule: the expected result the ordinary comparison uses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

import selection
from panel.domain.announcement import Announcement, announcement_id
from panel.domain.draw import Draw
from panel.draws.announce_dropout import check_section
from panel.draws.announce_rule import (
    announced_reserves,
    chain_head,
    commitment,
    document_sha256,
    lottery_index,
    lottery_sha256,
    member_salt,
)
from panel.draws.dropout_history import gather
from panel.draws.dropout_settings import DropoutSettings
from panel.draws.results import Verification

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService

NOT_INVITED = "not invited at the reveal"  # the reason recorded when a revealed panel member is replaced at once


def announcement_of(draws: DrawService, draw: Draw) -> Announcement | None:
    """The revealed announcement a draw completed, or None for a draw made without one."""
    try:
        found: object = draws.app.repository.get(announcement_id(draw.id))
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Announcement) and found.revealed_at is not None else None


def expected_from_announcement(
    draws: DrawService, draw: Draw, announcement: Announcement, rerun: selection.SelectionResult, found: Verification
) -> selection.SelectionResult:
    """Check the announcement, then the result its rule gives from the re-run lottery and the numbers."""
    document = announcement.document
    if document_sha256(document) != announcement.announcement_sha256:
        found.differences.append("the announcement no longer matches its published hash")
    if lottery_sha256(rerun.lottery) != document["lottery"]["sha256"]:
        found.differences.append("the re-run does not give the announced lottery")
    _check_commitments(draws, draw, announcement, found)
    _check_dropout_model(draws, draw, announcement, found)
    numbers = str(announcement.numbers)
    if draw.seed_from != numbers:
        found.differences.append(f"the draw records the numbers {draw.seed_from!r}, the announcement {numbers!r}")
    head = chain_head(announcement.announcement_sha256, numbers)
    if head.hex() != announcement.chain_head:
        found.differences.append("the recorded hash chain head differs from the announcement's rule")
    index = lottery_index(head, len(rerun.lottery))
    if index != announcement.lottery_index:
        found.differences.append(
            f"the announcement's rule gives index {index}, the reveal recorded {announcement.lottery_index}"
        )
    panel = rerun.lottery[index]
    reserves = announced_reserves(head, document, panel)
    return replace(rerun, lottery_index=index, selected=tuple(panel), reserves=tuple(reserves))


def _check_dropout_model(draws: DrawService, draw: Draw, announcement: Announcement, found: Verification) -> None:
    """A frozen dropout model must follow from its counts, and its counts from the history as of the snapshot."""
    section = announcement.document.get("reserves_model")
    if not section:
        return
    found.differences.extend(check_section(announcement.document))
    features = DropoutSettings.from_record(section).model_features(draw.features)
    again = gather(draws.app, int(section["history"]["as_of_position"]), features)
    if again.history.to_dict() != section["model"]["history"]:
        if again.unreadable != int(section["history"]["unreadable"]):
            found.notes.append(
                "people of the announced dropout history were erased since: its counts cannot be re-derived"
            )
        else:
            found.differences.append("the announced dropout history counts differ from the history as of the snapshot")


def _check_commitments(draws: DrawService, draw: Draw, announcement: Announcement, found: Verification) -> None:
    committed = set(announcement.document["pool"]["commitments"])
    if len(committed) != len(draw.pool):
        found.differences.append(
            f"the announcement commits to {len(committed)} members, the draw's pool holds {len(draw.pool)}"
        )
    ids = [UUID(str(row[0])) for row in draw.pool]
    keys = draws.app.keys.get_keys(ids)
    wrong = [
        pid for pid in ids if pid in keys and commitment(member_salt(keys[pid], announcement.id), pid) not in committed
    ]
    if wrong:
        found.differences.append(f"{len(wrong)} pool member(s) have no commitment in the announcement")
