"""Replace a panel member who dropped out: the first reserve that keeps every quota, or a refusal.

A draw made with ``--reserves-model dropout`` tries first the available reserve who restores the
quotas best (the rule ``selection.dropout_sim`` fills seats by, so replacements follow the
simulation the list was chosen on), then the others in order.

Each reserve is tried in order. One who was erased, left the panel, no longer holds contact consent
or is already invited is skipped, and so is one whose swap would break a quota or the household
rule; every skip is recorded with its reason. When no reserve keeps the quotas nothing is recorded,
unless the recruiter allows the break explicitly (the reason is recorded on the draw).

Members' types come from their sealed slots (``panel.draws.record``); erased panel members are known
only through the panel's composition by type, which is exact as long as the drop-out's type can be
told apart from the other erased members'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

import selection
from panel.domain.draw import Draw, QuotaBreakError
from panel.domain.errors import ParticipationStateError
from panel.domain.participant import Participant
from panel.draws.compose import recorded_quotas
from panel.draws.errors import DrawConflictError
from panel.draws.legacy import legacy_members
from panel.draws.record import claim_slots, slot_ids, slot_rows, table_from_record
from panel.draws.reserves_model import best_reserve
from panel.draws.results import RefBook

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService


@dataclass(frozen=True)
class ReplaceOutcome:
    dropout: UUID
    chosen: UUID | None
    quota_ok: bool
    broken: list[str]
    skipped: list[tuple[UUID, str]]
    allowed_break: bool


@dataclass(frozen=True)
class Panel:
    """The current panel as far as it can be known: readable members' profiles, and the type rows of
    the members who cannot be read (several possible sets when the drop-out is one of them)."""

    known: dict[UUID, selection.Candidate]
    hidden: list[list[selection.Candidate]]  # one list per possibility; [] when the types are unknown
    after: Sequence[list[int] | None]  # the panel's composition after removing the drop-out, per possibility
    row_of: dict[UUID, int]


def _profiles(draws: DrawService, draw: Draw) -> tuple[dict[UUID, selection.Candidate], dict[UUID, int], list[Any]]:
    """Readable members' profiles (features, household) and type rows; and the type table's rows."""
    if not draw.keeps_types:
        candidates, _, _ = legacy_members(draws, draw, RefBook(draws))
        return candidates, {}, []
    rows, counts = table_from_record(draw.types or [])
    row_at = dict(zip(slot_ids(counts), slot_rows(counts), strict=False))
    ids = [UUID(str(r[0])) for r in draw.pool]
    claims = claim_slots(draw.id, draw.pool, draws.app.keys.get_keys(ids))
    row_of = {pid: row_at[s] for pid, s in claims.slot_of.items() if s in row_at}
    profiles = {pid: _candidate(pid.hex, rows[r], draw.features) for pid, r in row_of.items()}
    return profiles, row_of, rows


def _candidate(cid: str, row: Any, features: Sequence[str]) -> selection.Candidate:
    values, group = row
    return selection.Candidate(id=cid, features=dict(zip(features, values, strict=False)), household=group)


def current_panel(
    draw: Draw, dropout: UUID, profiles: dict[UUID, selection.Candidate], row_of: dict[UUID, int], rows: list[Any]
) -> Panel:
    members = [UUID(p) for p in draw.panel]
    known = {pid: profiles[pid] for pid in members if pid in profiles}
    unknown = [pid for pid in members if pid not in profiles]
    composition = draw.panel_composition()
    if not unknown:
        after = None if composition is None else sorted((composition - Counter([row_of[dropout]])).elements())
        return Panel(known, [[]], [after], row_of)
    if composition is None:
        return Panel(known, [], [None], row_of)
    remainder = composition - Counter(row_of[pid] for pid in known)
    if sum(remainder.values()) != len(unknown):
        return Panel(known, [], [None], row_of)
    if dropout in known:
        hidden = [_candidate(f"hidden-{i}", rows[r], draw.features) for i, r in enumerate(remainder.elements())]
        return Panel(known, [hidden], [sorted((composition - Counter([row_of[dropout]])).elements())], row_of)
    possibilities, afters = [], []
    for gone in sorted(remainder):  # the drop-out is one of the erased: each of their types is possible
        rest = remainder - Counter([gone])
        possibilities.append([_candidate(f"hidden-{i}", rows[r], draw.features) for i, r in enumerate(rest.elements())])
        afters.append(sorted((composition - Counter([gone])).elements()))
    return Panel(known, possibilities, afters, row_of)


def _broken(
    panel: Panel, dropout: UUID, reserve: selection.Candidate | None, quotas: list[selection.Quota]
) -> list[str]:
    """What the swap breaks, over every possibility for the hidden members (an empty list: nothing)."""
    if not panel.hidden:
        return ["the types of the panel's erased members are unknown to this draw, so the quotas cannot be checked"]
    broken: list[str] = []
    joining = reserve or selection.Candidate(id="nobody", features={}, household=None)  # counts towards no quota
    for hidden in panel.hidden:
        rest = [c for pid, c in panel.known.items() if pid != dropout] + hidden
        stand_in = selection.Candidate(id="dropout", features={}, household=None)
        ids = [c.id for c in rest] + ["dropout"]
        outcome = selection.replace([*rest, stand_in, joining], quotas, ids, "dropout", [joining.id])
        found = list(outcome.broken) + ([] if reserve else [f"no reserve joins: the panel has {len(rest)} members"])
        broken += [b for b in found if b not in broken]
    if broken and len(panel.hidden) > 1:
        broken.append("the drop-out's type cannot be told apart from the other erased panel members'")
    return broken


def _skip_reason(draws: DrawService, draw: Draw, pid: UUID, moment: datetime, known: bool) -> str | None:
    person = draws.app.load(pid, Participant)
    if person.is_erased:
        return "was erased since the draw"
    if person.left_panel_at is not None and person.left_panel_at <= moment:
        return "left the panel"
    if person.consent_at("contact", moment) is None:
        return "has no active contact consent"
    if person.participation_status(draw.engagement_id) in ("invited", "accepted"):
        return "is already invited to this engagement"
    if not known:
        return "has a place in the draw that cannot be read (a corrupted record)"
    return None


def best_first(
    draws: DrawService,
    draw: Draw,
    order: list[UUID],
    panel: Panel,
    dropout: UUID,
    profiles: dict[UUID, selection.Candidate],
    quotas: list[selection.Quota],
    moment: datetime,
) -> list[UUID]:
    """The reserves with the one who restores the quotas best first (``dropout_sim.fill_seats``'s rule);
    the others keep their order, in case that one breaks the household rule."""
    nobody = selection.Candidate(id="nobody", features={}, household=None)
    available = [_skip_reason(draws, draw, pid, moment, pid in profiles) is None for pid in order]
    rest = [c for pid, c in panel.known.items() if pid != dropout] + (panel.hidden[0] if panel.hidden else [])
    best = best_reserve(rest, [profiles.get(pid, nobody) for pid in order], available, quotas)
    return order if best is None else [order[best], *order[:best], *order[best + 1 :]]


def replace(
    draws: DrawService, draw: Draw, dropout: UUID, reason: str, moment: datetime, allow: bool
) -> ReplaceOutcome:
    refs = RefBook(draws)
    if dropout.hex not in draw.panel:
        raise ParticipationStateError(f"{refs(dropout)} is not on the current panel of draw {str(draw.id)[:8]}")
    quotas = recorded_quotas(draw.quotas)
    profiles, row_of, rows = _profiles(draws, draw)
    panel = current_panel(draw, dropout, profiles, row_of, rows)
    skipped: list[tuple[UUID, str]] = []
    tried: list[tuple[UUID, list[str]]] = []
    chosen: UUID | None = None
    order = [UUID(r) for r in draw.reserves]
    if draw.reserves_model:  # a dropout-model draw: the reserve who restores the quotas best goes first
        order = best_first(draws, draw, order, panel, dropout, profiles, quotas, moment)
    for pid in order:
        why = _skip_reason(draws, draw, pid, moment, pid in profiles)
        if why is None:
            broken = _broken(panel, dropout, profiles[pid], quotas)
            if not broken:
                chosen = pid
                break
            tried.append((pid, broken))
            why = "would break the quotas: " + ", and ".join(broken)
        skipped.append((pid, why))
    broken = []
    if chosen is None:
        best = min(tried, key=lambda t: len(t[1]), default=None)
        chosen, broken = best if best is not None else (None, _broken(panel, dropout, None, quotas))
        if not allow:
            listed = "; ".join(f"{refs(pid)} {why}" for pid, why in skipped) or "no reserve is left"
            raise QuotaBreakError(
                f"no reserve can replace {refs(dropout)} without breaking the quotas ({listed}): nothing recorded; "
                "draw more reserves, or pass --allow-quota-break (the --reason is recorded)"
            )
        skipped = [(pid, why) for pid, why in skipped if pid != chosen]
    after = _composition_after(panel, row_of, chosen)
    draw.replace(
        dropout=dropout.hex,
        replacement=None if chosen is None else chosen.hex,
        reason=reason,
        quota_ok=not broken,
        message="every quota still holds" if not broken else "breaks: " + "; ".join(broken),
        at=moment,
        skipped=[[pid.hex, why] for pid, why in skipped],
        broken=broken,
        override_reason=reason if broken else None,
        panel_rows=after,
    )
    _save(draws, draw, dropout, chosen, reason, moment)
    return ReplaceOutcome(dropout, chosen, not broken, broken, skipped, bool(broken))


def _composition_after(panel: Panel, row_of: dict[UUID, int], chosen: UUID | None) -> list[int] | None:
    afters = {tuple(a) for a in panel.after if a is not None}
    if len(afters) != 1 or any(a is None for a in panel.after):
        return None
    rows = list(next(iter(afters)))
    if chosen is not None:
        if chosen not in row_of:
            return None
        rows.append(row_of[chosen])
    return sorted(rows)


def _save(draws: DrawService, draw: Draw, dropout: UUID, chosen: UUID | None, reason: str, moment: datetime) -> None:
    changed: list[Any] = [draw]
    leaving = draws.app.load(dropout, Participant)
    if leaving.participation_status(draw.engagement_id) in ("invited", "accepted"):
        leaving.withdraw_from(engagement_id=draw.engagement_id, reason=reason, at=moment)
        changed.append(leaving)
    if chosen is not None:
        joining = draws.app.load(chosen, Participant)
        joining.invite(engagement_id=draw.engagement_id, at=moment, draw_id=draw.id)
        changed.append(joining)
    try:
        draws.app.save(*changed)
    except IntegrityError:
        raise DrawConflictError(
            "the draw or one of these people changed at the same time: nothing was recorded; run the command again"
        ) from None


def describe(outcome: ReplaceOutcome, refs: RefBook) -> str:
    """One line for the recruiter, naming people by reference."""
    skipped = "; ".join(f"{refs(pid)} {why}" for pid, why in outcome.skipped)
    note = f" (skipped {skipped})" if skipped else ""
    if outcome.chosen is None:
        head = f"Removed {refs(outcome.dropout)} from the panel with no reserve to replace them{note}"
    else:
        head = f"Replaced {refs(outcome.dropout)} by reserve {refs(outcome.chosen)}{note}"
    if outcome.quota_ok:
        return head + "; every quota still holds"
    return head + "; quota break allowed and recorded: " + "; ".join(outcome.broken)
