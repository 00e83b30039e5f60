"""Draws recorded before the type table (version 1 of ``Draw.Completed``): re-run on people's ids.

Such a draw ran the selection on the members' own ids and features, so it can be re-run only while
every member can still be read. After an erasure the re-run is impossible; the notes say so and
what was still checked (the pool hash, each member's rules from the history, the invitations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import selection
from panel.domain.draw import Draw
from panel.domain.participant import Participant
from panel.draws.compose import recorded_quotas, run_selection
from panel.draws.pool_builder import NOT_STATED, derive_features, household_key, member_hash, read_personal

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService
    from panel.draws.results import RefBook, Verification


def legacy_members(
    draws: DrawService, draw: Draw, refs: Any
) -> tuple[dict[UUID, selection.Candidate], list[str], list[UUID]]:
    """Every readable member as a candidate (their own id, features from the history at the recorded
    version); the differences found; and the members erased since."""
    problems: list[str] = []
    candidates: dict[UUID, selection.Candidate] = {}
    erased: list[UUID] = []
    ids = [UUID(str(row[0])) for row in draw.pool]
    keys = draws.app.keys.get_keys(ids)
    for (pid_hex, version, recorded_hash, *_), pid in zip(draw.pool, ids, strict=False):
        key = keys.get(pid)
        if key is None:
            erased.append(pid)
            continue
        try:
            person: Participant = draws.app.repository.get(pid, version=int(version))
        except Exception:  # noqa: BLE001 - a corrupted record is a difference, never a traceback
            problems.append(f"{refs(pid)}: their history at version {version} cannot be read (corrupted)")
            continue
        personal = read_personal(key, person)
        if personal is None:
            problems.append(f"{refs(pid)}: their record at version {version} cannot be decrypted (corrupted)")
            continue
        attributes = derive_features(personal.attributes)
        features = {f: attributes.get(f, NOT_STATED) for f in draw.features}
        household = household_key(personal, draw.household_by)
        if member_hash(key, draw.id.hex, features, household) != recorded_hash:
            problems.append(f"{refs(pid)}'s recorded features differ from the history at version {version}")
        candidates[pid] = selection.Candidate(id=str(pid_hex), features=features, household=household)
    return candidates, problems, erased


def rerun_legacy(draws: DrawService, draw: Draw, refs: RefBook, found: Verification) -> None:
    """Re-run a version 1 draw on its members' ids, when every member can still be read."""
    candidates, problems, erased = legacy_members(draws, draw, refs)
    found.differences.extend(problems)
    if erased:
        found.notes.append(
            f"the draw was recorded before draws kept a type table, and {len(erased)} pool member(s) were erased "
            f"since ({refs.many(erased)}): it cannot be re-run; checked were the pool hash, every member's "
            "consents, status and fatigue from the history, and the invitations"
        )
        return
    if problems:
        return
    try:
        result = run_selection(
            list(candidates.values()),
            recorded_quotas(draw.quotas),
            draw.size,
            algorithm=draw.algorithm,
            seed=draw.seed,
            seed_from=draw.seed_from,
            reserves=len(draw.drawn_reserves),
            lottery_size=draw.lottery_size,
            algorithm_version=draw.algorithm_version,
        )
    except selection.SelectionError as exc:
        found.differences.append(f"the re-run fails: {exc}")
        return
    if list(result.selected) != draw.selected:
        others = len(set(result.selected) - set(draw.selected))
        found.differences.append(f"the panel differs: the re-run selects {others} other people")
    if list(result.reserves) != draw.drawn_reserves:
        found.differences.append("the reserve list differs")
    if result.lottery_index != draw.lottery_index:
        found.differences.append(
            f"the lottery index differs: recorded {draw.lottery_index}, re-run {result.lottery_index}"
        )
    worst = max((abs(result.probabilities.get(pid, -1.0) - p) for pid, p in draw.probabilities.items()), default=0)
    if set(result.probabilities) != set(draw.probabilities) or worst > 1e-9:
        found.differences.append(f"selection probabilities differ (largest difference {worst:.3g})")
    if result.inputs_sha256 != draw.inputs_sha256:
        found.differences.append("the selection inputs hash differs")
