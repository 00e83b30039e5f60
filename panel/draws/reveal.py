"""Reveal an announced draw: the public numbers give the index and the reserves' hash chain.

The draw is completed from the announcement alone: its frozen pool record, type table and lottery
(never today's pool). The panel is lottery panel ``index``; the reserves are the slots the hash
chain picks (``announce_rule``). The draw, the ``Revealed`` event and the invitations are saved in
one transaction, as ``panel draw`` saves a draw.

Who cannot be invited any more: a panel member who, between the announcement and the reveal,
withdrew a pool consent, left the panel, was erased or was invited otherwise stays on the recorded
panel (the draw must be the announced one, so it verifies), is **not invited**, and is then replaced
at once by the reserve of the committed chain who restores the quotas best (``panel draw replace``'s
rule ``best``, which takes the first reserve keeping every quota when there is one; recorded as
``Draw.MemberReplaced`` with the reason). No new randomness is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from panel.domain.announcement import Announcement
from panel.domain.draw import Draw
from panel.domain.engagement import Engagement
from panel.domain.errors import PanelError, ValidationError
from panel.domain.participant import Participant
from panel.draws.announce_rule import (
    announced_reserves,
    chain_head,
    document_sha256,
    lottery_index,
    normalise_numbers,
)
from panel.draws.announce_verify import NOT_INVITED
from panel.draws.errors import DrawConflictError, DrawExistsError
from panel.draws.history import position_of
from panel.draws.pool_builder import consent_rule, status_rule
from panel.draws.protocols import DrawService
from panel.draws.record import claim_slots, slot_ids, slot_rows


@dataclass(frozen=True)
class RevealOutcome:
    announcement: Announcement
    draw_id: UUID
    numbers: str
    chain_head: str
    lottery_index: int
    invited: int
    not_invited: list[tuple[UUID, str]]
    replaced: list[Any] = field(default_factory=list)  # ReplaceOutcome per member not invited
    problems: list[str] = field(default_factory=list)  # replacements that could not be made


def reveal(draws: DrawService, announcement: Announcement, text: str, moment: datetime) -> RevealOutcome:
    announcement.require_unrevealed()
    numbers = normalise_numbers(text)
    document = announcement.document
    if document_sha256(document) != announcement.announcement_sha256:
        raise ValidationError("the stored announcement does not match its published hash: nothing was revealed")
    app = draws.app
    engagement = app.load(announcement.engagement_id, Engagement)
    engagement.require_open()
    if position_of(app, announcement.draw_id) is not None:
        raise DrawExistsError(
            f"round {announcement.round} of {engagement.ref} was drawn without this announcement: nothing was revealed"
        )
    head = chain_head(announcement.announcement_sha256, numbers)
    index = lottery_index(head, int(document["lottery"]["size"]))
    panel = [str(s) for s in document["lottery"]["panels"][index]]
    reserve_slots = announced_reserves(head, document, panel)
    frozen = announcement.frozen
    holder = _holders(draws, announcement.draw_id, frozen["pool"], [*panel, *reserve_slots])
    counts = [int(row[2]) for row in frozen["types"]]
    row_at = dict(zip(slot_ids(counts), slot_rows(counts), strict=True))
    report = dict(frozen["report"])
    report["announcement"] = {
        "id": str(announcement.id),
        "sha256": announcement.announcement_sha256,
        "numbers": numbers,
        "h0": head.hex(),
        "revealed_at": moment.isoformat(),
    }
    fields = {name: frozen[name] for name in frozen if name != "report"}
    draw = Draw.record(
        id=announcement.draw_id,
        at=announcement.announced_at,  # the pool is the announcement's: verification rebuilds it as of then
        engagement_id=announcement.engagement_id,
        seed_from=numbers,
        lottery_index=index,
        selected=sorted(holder[s].hex for s in panel),
        reserves=[holder[s].hex for s in reserve_slots],
        report=report,
        panel_rows=sorted(row_at[s] for s in panel),
        **fields,
    )
    announcement.reveal(numbers=numbers, chain_head=head.hex(), lottery_index=index, at=moment)
    invited: list[Participant] = []
    not_invited: list[tuple[UUID, str]] = []
    for slot in panel:
        person = app.load(holder[slot], Participant)
        why = status_rule(person, engagement, moment) or consent_rule(person, engagement, moment)
        if why is None:
            person.invite(engagement_id=engagement.id, at=moment, draw_id=draw.id)
            invited.append(person)
        else:
            not_invited.append((person.id, why))
    try:
        app.save(draw, announcement, *invited)
    except IntegrityError:
        raise DrawConflictError(
            "the announcement, the draw or someone on the panel changed while the reveal ran: nothing was "
            "recorded; run the reveal again"
        ) from None
    outcome = RevealOutcome(announcement, draw.id, numbers, head.hex(), index, len(invited), not_invited)
    _replace_not_invited(draws, outcome, moment)
    return outcome


def _holders(draws: DrawService, draw_id: UUID, pool: list[list[Any]], needed: list[str]) -> dict[str, UUID]:
    """Who holds each needed slot, from the members' sealed slots (an erased member only when unambiguous)."""
    ids = [UUID(str(row[0])) for row in pool]
    claims = claim_slots(draw_id, pool, draws.app.keys.get_keys(ids))
    holder = {slot: pid for pid, slot in claims.slot_of.items()}
    unknown = [*claims.erased, *claims.unreadable]
    missing = [s for s in needed if s not in holder]
    if missing and len(unknown) == 1 and len(missing) == 1:
        holder[missing[0]] = unknown[0]  # the one member whose slot cannot be read holds the one slot left
    elif missing:
        raise ValidationError(
            f"{len(unknown)} pool members were erased (or their records corrupted) since the announcement and the "
            f"lottery picks {len(missing)} of their places: who holds them cannot be told; nothing was revealed"
        )
    return holder


def _replace_not_invited(draws: DrawService, outcome: RevealOutcome, moment: datetime) -> None:
    from panel.draws.replace import replace

    for pid, why in outcome.not_invited:
        try:
            draw: Draw = draws.app.repository.get(outcome.draw_id)
            outcome.replaced.append(replace(draws, draw, pid, f"{NOT_INVITED}: {why}", moment, False))
        except PanelError as exc:
            outcome.problems.append(str(exc))
