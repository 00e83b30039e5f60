"""Replace a panel member who dropped out: the reserve who restores the quotas best, or a refusal.

The rule is ``selection.replacement``'s ``"best"`` (recorded on ``Draw.MemberReplaced`` as
``replacement_rule``): the reserve after whose swap the panel's quota gap is smallest, then who
breaks the fewest rules, then the earlier in the committed order. Each reserve is looked at in
order. One who was erased, left the panel, no longer holds contact consent or is already invited
cannot be invited and is skipped; the first who keeps every quota and the household rule is taken
(gap 0, nothing broken: no later reserve can do better). Every reserve passed over is recorded with
its reason. When no reserve keeps the quotas nothing is recorded, unless the recruiter allows the
break explicitly: the least bad by the rule is then taken (the reason is recorded on the draw).

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
from panel.draws.results import RefBook
from selection.replacement import CURRENT_RULE, Option, pick, quota_gap

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


def member_profiles(
    draws: DrawService, draw: Draw
) -> tuple[dict[UUID, selection.Candidate], dict[UUID, int], list[Any]]:
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


def assess(
    panel: Panel, dropout: UUID, reserve: selection.Candidate | None, quotas: list[selection.Quota]
) -> tuple[list[str], int]:
    """What the swap breaks, over every possibility for the hidden members (an empty list: nothing), and
    the panel's quota gap after it (``selection.replacement.quota_gap``, the worst over the possibilities)."""
    if not panel.hidden:
        return ["the types of the panel's erased members are unknown to this draw, so the quotas cannot be checked"], 0
    broken: list[str] = []
    gap = 0
    joining = reserve or selection.Candidate(id="nobody", features={}, household=None)  # counts towards no quota
    for hidden in panel.hidden:
        rest = [c for pid, c in panel.known.items() if pid != dropout] + hidden
        stand_in = selection.Candidate(id="dropout", features={}, household=None)
        ids = [c.id for c in rest] + ["dropout"]
        outcome = selection.replace([*rest, stand_in, joining], quotas, ids, "dropout", [joining.id])
        found = list(outcome.broken) + ([] if reserve else [f"no reserve joins: the panel has {len(rest)} members"])
        broken += [b for b in found if b not in broken]
        gap = max(gap, quota_gap([*rest, joining], quotas))
    if broken and len(panel.hidden) > 1:
        broken.append("the drop-out's type cannot be told apart from the other erased panel members'")
    return broken, gap


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


def look_over(
    draws: DrawService,
    draw: Draw,
    order: list[UUID],
    panel: Panel,
    dropout: UUID,
    profiles: dict[UUID, selection.Candidate],
    quotas: list[selection.Quota],
    moment: datetime,
) -> tuple[UUID | None, list[Option | None], dict[UUID, tuple[str, list[str]]]]:
    """Look at the reserves in order up to the first who breaks nothing (every rule takes them: no later
    reserve can do better); that reserve or None, each reserve's option (None: cannot be invited), and why
    each reserve looked at was passed over (with what they would break)."""
    options: list[Option | None] = []
    found: dict[UUID, tuple[str, list[str]]] = {}
    for pid in order:
        why = _skip_reason(draws, draw, pid, moment, pid in profiles)
        if why is not None:
            options.append(None)
            found[pid] = (why, [])
            continue
        breaks, gap = assess(panel, dropout, profiles[pid], quotas)
        options.append(Option(gap, len(breaks)))
        if not breaks:
            return pid, options, found
        found[pid] = ("would break the quotas: " + ", and ".join(breaks), breaks)
    return None, options, found


def replace(
    draws: DrawService, draw: Draw, dropout: UUID, reason: str, moment: datetime, allow: bool
) -> ReplaceOutcome:
    refs = RefBook(draws)
    if dropout.hex not in draw.panel:
        raise ParticipationStateError(f"{refs(dropout)} is not on the current panel of draw {str(draw.id)[:8]}")
    quotas = recorded_quotas(draw.quotas)
    profiles, row_of, rows = member_profiles(draws, draw)
    panel = current_panel(draw, dropout, profiles, row_of, rows)
    order = [UUID(r) for r in draw.reserves]
    chosen, options, found = look_over(draws, draw, order, panel, dropout, profiles, quotas, moment)
    skipped = [(pid, why) for pid, (why, _) in found.items()]
    broken = []
    if chosen is None:
        best = pick(options, CURRENT_RULE)
        chosen = None if best is None else order[best]
        broken = found[chosen][1] if chosen is not None else assess(panel, dropout, None, quotas)[0]
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
        rule=CURRENT_RULE,
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
