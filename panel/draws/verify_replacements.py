"""Re-check a draw's replacements: each choice of reserve must follow from its recorded rule.

For every ``Draw.MemberReplaced``, the draw as it stood just before (the panel and remaining
reserves, replayed from its events) and the members' types (their sealed slots, as ``panel draw
replace`` reads them) give again, for each reserve, what their swap would break and the panel's
quota gap after it (``panel.draws.replace.assess``). Whether a reserve could be invited then is
taken from the reasons recorded with the replacement (a reserve passed over for anything but the
quotas could not be invited); the quota checks are recomputed. Then:

- every reserve recorded as breaking the quotas must break them, and the reserve taken must keep
  every quota exactly when the replacement says it did;
- the reserve taken must be the one the recorded rule (``selection.replacement``) picks among those
  the replacement looked at. Replacements recorded before the rule was (read as ``first``) on a draw
  made with ``--reserves-model dropout`` are checked by the first point only: that version tried the
  simulation's pick out of order, which the first point still covers.

A reserve erased since (whose type cannot be read), or erased panel members whose types cannot be
told apart, leave the replacement unchecked; the notes say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from panel.domain.draw import Draw
from panel.draws.compose import recorded_quotas
from panel.draws.replace import assess, current_panel, member_profiles
from panel.draws.results import RefBook, Verification
from selection.replacement import Option, pick

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService

QUOTA_SKIP = "would break the quotas"


def check_replacements(draws: DrawService, draw: Draw, refs: RefBook, found: Verification) -> None:
    """List every replacement whose choice does not follow from its rule (see the module's docstring)."""
    if not draw.replacements:
        return
    quotas = recorded_quotas(draw.quotas)
    profiles, row_of, rows = member_profiles(draws, draw)
    unchecked = 0
    for i, recorded in enumerate(draw.replacements):
        before: Draw = draws.app.repository.get(draw.id, version=i + 1)
        dropout = UUID(recorded["dropout"])
        panel = current_panel(before, dropout, profiles, row_of, rows)
        looked = _looked_at(before, recorded)
        if len(panel.hidden) != 1 or any(pid not in profiles for pid, _ in looked):
            unchecked += 1  # erased members whose types cannot be told apart, or a reserve's type unreadable
            continue
        swaps = {pid: assess(panel, dropout, profiles[pid], quotas) for pid, _ in looked}
        rule = recorded["rule"]
        strict = None if rule == "first" and draw.reserves_model else rule  # that rule tried a reserve out of order
        problems = choice_problems(looked, recorded, refs, swaps, strict)
        found.differences += [f"the replacement of {refs(dropout)}: {p}" for p in problems]
    if unchecked:
        found.notes.append(
            f"{unchecked} replacement(s) not re-checked: a reserve or panel member they involve was erased since, "
            "and their type cannot be told"
        )


def _looked_at(before: Draw, recorded: dict[str, Any]) -> list[tuple[UUID, str | None]]:
    """The remaining reserves the replacement looked at, in order, with why each was passed over (None: taken)."""
    why = {pid: reason for pid, reason in recorded["skipped"]}
    looked: list[tuple[UUID, str | None]] = []
    for pid in before.reserves:
        if pid == recorded["replacement"]:
            looked.append((UUID(pid), None))
        elif pid in why and why[pid].startswith(QUOTA_SKIP):
            looked.append((UUID(pid), why[pid]))
    return looked


def choice_problems(
    looked: list[tuple[UUID, str | None]],
    recorded: dict[str, Any],
    refs: RefBook,
    swaps: dict[UUID, tuple[list[str], int]],
    rule: str | None,
) -> list[str]:
    """What does not follow from the recomputed ``swaps`` (what each reserve looked at breaks, and the gap);
    with ``rule``, the reserve taken must also be the one it picks among those looked at."""
    problems: list[str] = []
    options: list[Option | None] = []
    for pid, why in looked:
        breaks, gap = swaps[pid]
        options.append(Option(gap, len(breaks)))
        if why is not None and not breaks:
            problems.append(f"reserve {refs(pid)} was passed over as breaking the quotas, but keeps every quota")
        if why is None and recorded["quota_ok"] == bool(breaks):
            state = "breaks " + "; ".join(breaks) if breaks else "keeps every quota"
            problems.append(f"the reserve taken {state}, but the replacement records quota_ok={recorded['quota_ok']}")
    if rule is not None and looked:
        best = pick(options, rule)
        taken = next((pid for pid, why in looked if why is None), None)
        if best is not None and looked[best][0] != taken:
            problems.append(
                f"by the rule {rule} the reserve to take was {refs(looked[best][0])}, not "
                f"{'nobody' if taken is None else refs(taken)}"
            )
    return problems
