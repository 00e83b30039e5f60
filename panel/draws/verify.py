"""Verify a draw: re-run it from what it recorded, and check it against the rest of the history.

Four independent checks, every difference listed (named by reference), nothing raised:

1. **The re-run**: the selection runs again on the recorded type table (``panel.draws.record``);
   each member whose key still exists must hold the slot the re-run gives them, with the type their
   history gives them. Erased members are checked only as the slots nobody else claims.
2. **The pool**: the pool is rebuilt from everyone's history as it stood at the draw's snapshot
   (consents, eligibility, fatigue and status as of then); anyone in it but not in the record, or
   in the record but not in it, is a difference.
3. **The invitations**: the people the Invited events name for this draw must be the panel drawn
   plus the reserves brought in by replacements.
4. **The replacements**: each reserve taken must follow from the replacement's recorded rule
   (``panel.draws.verify_replacements``).

What cannot be re-checked (erased members, draws recorded before the type table existed) is
stated in the notes, never silently skipped.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

import selection
from panel.domain.draw import Draw
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.draws.announce_verify import NOT_INVITED, announcement_of, expected_from_announcement
from panel.draws.compose import pool_digest, recorded_quotas, run_selection
from panel.draws.history import invitations_of, position_of
from panel.draws.legacy import rerun_legacy
from panel.draws.loading import Memo, load_many
from panel.draws.narrowed import log_intact, narrowed_pool
from panel.draws.pool_builder import NOT_STATED, build_pool, derive_features, household_key, member_hash, read_personal
from panel.draws.record import claim_slots, slot_candidates, slot_ids, slot_rows, table_from_record
from panel.draws.results import RefBook, Verification
from panel.draws.verify_dropout import check_dropout_history, rerun_dropout, reserve_count
from panel.draws.verify_replacements import check_replacements

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService


def verify(draws: DrawService, draw: Draw) -> Verification:
    found = Verification()
    refs = RefBook(draws)
    memo: Memo = {}  # the recorded pool as of the snapshot, read once for the re-run's and the pool's checks
    checks = [
        ("the pool hash", _check_digest),
        ("the re-run", partial(rerun_types, memo=memo) if draw.keeps_types else rerun_legacy),
        ("the pool", partial(check_pool, memo=memo)),
        ("the invitations", check_invitations),
        ("the replacements", check_replacements),
        ("the dropout history", check_dropout_history),
    ]
    for name, check in checks:
        try:
            check(draws, draw, refs, found)
        except Exception as exc:  # noqa: BLE001 - a malformed record is a difference, never a traceback
            found.differences.append(f"the check of {name} cannot complete on this record: {type(exc).__name__}: {exc}")
    return found


def _check_digest(draws: DrawService, draw: Draw, refs: RefBook, found: Verification) -> None:
    if pool_digest(draw.pool) != draw.pool_sha256:
        found.differences.append("the recorded pool does not match its recorded pool hash")


def _history_features(
    draws: DrawService, draw: Draw, pid: UUID, version: int, key: bytes, read: dict[UUID, Any]
) -> tuple[Any, str | None]:
    """A member's (features, household) as their history held them at ``version``, or None if unreadable;
    ``read`` holds the members as of the draw's snapshot (read in batches), used when at ``version``."""
    person = read.get(pid)
    if not isinstance(person, Participant) or person.version != version:
        try:
            person = draws.app.repository.get(pid, version=version)
        except Exception:  # noqa: BLE001 - reported by the caller
            return None, None
    personal = read_personal(key, person)
    if personal is None:
        return None, None
    attributes = derive_features(personal.attributes)
    return {f: attributes.get(f, NOT_STATED) for f in draw.features}, household_key(personal, draw.household_by)


def rerun_types(draws: DrawService, draw: Draw, refs: RefBook, found: Verification, memo: Memo | None = None) -> None:
    """Re-run a draw recorded with its type table, and check every member who can still be read."""
    rows, counts = table_from_record(draw.types or [])
    slots = slot_ids(counts)
    row_of = dict(zip(slots, slot_rows(counts), strict=False))
    if sum(counts) != len(draw.pool):
        found.differences.append(f"the type table counts {sum(counts)} people but the pool holds {len(draw.pool)}")
    ids = [UUID(str(r[0])) for r in draw.pool]
    keys = draws.app.keys.get_keys(ids)
    claims = claim_slots(draw.id, draw.pool, keys)
    for pid in claims.unreadable:
        found.differences.append(f"{refs(pid)}: the draw's sealed slot cannot be opened with their key (corrupted)")
    holder: dict[str, UUID] = {}
    for pid, slot in claims.slot_of.items():
        if slot not in row_of or slot in holder:
            found.differences.append(f"{refs(pid)}: the draw's sealed slot {slot} is not a free slot of its table")
            continue
        holder[slot] = pid
    _check_types(draws, draw, refs, found, rows, row_of, claims.slot_of, keys, memo)
    unclaimed = [s for s in slots if s not in holder]
    erased = set(claims.erased)
    if erased:
        found.notes.append(
            f"{len(erased)} pool member(s) erased since the draw ({refs.many(erased)}): their recorded feature "
            "hashes and slots can no longer be re-derived; they were checked only as the slots nobody else holds"
        )
    announced = announcement_of(draws, draw)  # a revealed draw re-runs as announced, then follows its rule
    candidates = slot_candidates(rows, counts, draw.features)
    try:
        result = run_selection(
            candidates,
            recorded_quotas(draw.quotas),
            draw.size,
            algorithm=draw.algorithm,
            seed=draw.seed,
            seed_from=None if announced else draw.seed_from,
            reserves=0 if announced else reserve_count(draw),
            lottery_size=draw.lottery_size,
            algorithm_version=draw.algorithm_version,
        )
    except selection.SelectionError as exc:
        found.differences.append(f"the re-run from the recorded type table fails: {exc}")
        return
    if announced is not None:
        result = expected_from_announcement(draws, draw, announced, result, found)
    elif draw.reserves_model:  # the dropout-aware list, from the recorded model inputs and seed
        result = rerun_dropout(draw, result, candidates, recorded_quotas(draw.quotas), holder, found)
    _compare(draw, result, holder, set(unclaimed), refs, found, row_of)


def _check_types(
    draws: DrawService,
    draw: Draw,
    refs: RefBook,
    found: Verification,
    rows: list[Any],
    row_of: dict[str, int],
    slot_of: dict[UUID, str],
    keys: dict[UUID, bytes],
    memo: Memo | None = None,
) -> None:
    """Each readable member's history at the recorded version must give the recorded hash and type."""
    households: dict[str, set[str | None]] = {}
    snapshot = draw.as_of_position if draw.as_of_position is not None else position_of(draws.app, draw.id)
    read = load_many(draws.app, slot_of, snapshot, memo)[0] if snapshot is not None else {}
    for entry in draw.pool:
        pid, version, recorded_hash = UUID(str(entry[0])), int(entry[1]), str(entry[2])
        if pid not in slot_of or slot_of[pid] not in row_of:
            continue
        features, household = _history_features(draws, draw, pid, version, keys[pid], read)
        if features is None:
            found.differences.append(f"{refs(pid)}: their record at version {version} cannot be decrypted (corrupted)")
            continue
        if member_hash(keys[pid], draw.id.hex, features, household) != recorded_hash:
            found.differences.append(f"{refs(pid)}'s recorded features differ from the history at version {version}")
        values, group = rows[row_of[slot_of[pid]]]
        if tuple(features.get(f, "") for f in draw.features) != tuple(values):
            found.differences.append(f"{refs(pid)}'s type in the draw's table differs from their history")
        if group is not None:
            households.setdefault(group, set()).add(household)
    for group, keys_seen in households.items():
        if len(keys_seen) != 1 or None in keys_seen:
            found.differences.append(f"household group {group} of the type table holds different households")


def _compare(
    draw: Draw,
    result: selection.SelectionResult,
    holder: dict[str, UUID],
    unclaimed: set[str],
    refs: RefBook,
    found: Verification,
    row_of: dict[str, int],
) -> None:
    """The re-run's slots against the recorded people: exact for readable members, as free slots for erased."""
    slot_of = {pid: slot for slot, pid in holder.items()}
    recorded = {UUID(p) for p in draw.selected}
    for slot in result.selected:
        pid = holder.get(slot)
        if pid is not None and pid not in recorded:
            found.differences.append(f"the re-run selects {refs(pid)}, who is not on the recorded panel")
    for pid in recorded:
        if pid in slot_of and slot_of[pid] not in result.selected:
            found.differences.append(f"{refs(pid)} is on the recorded panel but the re-run does not select them")
    unknown_selected = [pid for pid in recorded if pid not in slot_of]
    free_selected = [s for s in result.selected if s in unclaimed]
    if len(unknown_selected) != len(free_selected):
        found.differences.append(
            f"the recorded panel has {len(unknown_selected)} member(s) who cannot be read, the re-run selects "
            f"{len(free_selected)} slot(s) nobody readable holds"
        )
    drawn = [UUID(r) for r in draw.drawn_reserves]
    if len(drawn) != len(result.reserves):
        found.differences.append(f"the reserve list differs: {len(drawn)} recorded, {len(result.reserves)} re-run")
    for place, (pid, slot) in enumerate(zip(drawn, result.reserves, strict=False), start=1):
        ok = slot_of[pid] == slot if pid in slot_of else slot in unclaimed
        if not ok:
            found.differences.append(f"reserve {place} differs: recorded {refs(pid)}, the re-run gives another")
    if result.lottery_index != draw.lottery_index:
        found.differences.append(
            f"the lottery index differs: recorded {draw.lottery_index}, re-run {result.lottery_index}"
        )
    worst = max((abs(result.probabilities.get(s, -1.0) - p) for s, p in draw.probabilities.items()), default=0.0)
    if set(result.probabilities) != set(draw.probabilities) or worst > 1e-9:
        found.differences.append(f"selection probabilities differ (largest difference {worst:.3g})")
    if result.inputs_sha256 != draw.inputs_sha256:
        found.differences.append("the selection inputs hash differs")
    if draw.drawn_panel_rows is not None and sorted(row_of[s] for s in result.selected) != draw.drawn_panel_rows:
        found.differences.append("the panel's recorded composition by type differs from the re-run")


def check_pool(draws: DrawService, draw: Draw, refs: RefBook, found: Verification, memo: Memo | None = None) -> None:
    """Rebuild the pool from the history as of the draw's snapshot and compare it with the record."""
    app = draws.app
    own = position_of(app, draw.id)
    position = draw.as_of_position
    if position is None:
        position = (own or 1) - 1
        found.notes.append(
            "the draw was recorded before draws kept their pool snapshot: its pool was rebuilt from the history "
            "just before the draw was recorded"
        )
    elif own is not None and position >= own:
        found.differences.append("the draw's pool snapshot is later than the draw itself")
    try:
        engagement = app.load(draw.engagement_id, Engagement)
        if draws.narrowing is not None and log_intact(app, position, found.notes):
            # the read models' candidates plus the recorded pool, all re-checked from their history
            rebuilt = narrowed_pool(
                app,
                engagement,
                draw.drawn_at,
                draws.narrowing,
                position=position,
                features=draw.features,
                household_by=draw.household_by,
                include=[UUID(str(r[0])) for r in draw.pool],
                unknown_reason=None,
                memo=memo,
            )
        else:
            rebuilt = build_pool(
                app,
                engagement,
                draw.drawn_at,
                features=draw.features,
                household_by=draw.household_by,
                position=position,
                unknown_reason=None,
            )
    except Exception as exc:  # noqa: BLE001 - e.g. an engagement that did not exist yet: listed, never raised
        found.differences.append(f"the pool cannot be rebuilt from the history at the draw: {exc}")
        return
    recorded = {UUID(str(r[0])): int(r[1]) for r in draw.pool}
    unknown = []
    for pid, version in recorded.items():
        standing = rebuilt.standings.get(pid)
        if standing is None:
            found.differences.append(f"{refs(pid)} is in the draw's pool but was not registered at the draw")
        elif standing.reason is not None:
            found.differences.append(f"{refs(pid)} is in the draw's pool but at the draw: {standing.reason}")
        elif standing.unknown:
            unknown.append(pid)
        elif standing.member is not None and standing.member.version != version:
            found.differences.append(
                f"{refs(pid)}: the draw recorded version {version} of their record, "
                f"the history at the draw has version {standing.member.version}"
            )
    for member in rebuilt.members:
        if member.id not in recorded:
            found.differences.append(f"{refs(member.id)} was in the pool at the draw but is not in the draw's pool")
    if unknown:
        found.notes.append(
            f"{len(unknown)} pool member(s) erased since the draw: their consents, status and fatigue were "
            "re-checked, their eligibility cannot be (it needs their erased attributes)"
        )
    outside = [pid for pid, s in rebuilt.standings.items() if s.unknown and pid not in recorded]
    if outside:
        found.notes.append(
            f"{len(outside)} person(s) outside the pool were erased since the draw: their consents, status and "
            "fatigue allowed them in, their eligibility cannot be re-checked"
        )


def check_invitations(draws: DrawService, draw: Draw, refs: RefBook, found: Verification) -> None:
    """The Invited events naming this draw must be the drawn panel plus the reserves brought in."""
    invited, unreadable = invitations_of(draws.app, draw.id, draw.as_of_position)
    expected = {UUID(p) for p in draw.selected}
    expected |= {UUID(r["replacement"]) for r in draw.replacements if r["replacement"] is not None}
    never = {UUID(r["dropout"]) for r in draw.replacements if r["reason"].startswith(NOT_INVITED)}  # announced draws
    for pid in sorted(expected - set(invited) - never, key=lambda u: u.hex):
        found.differences.append(f"{refs(pid)} is on the draw's panel but no invitation by this draw is recorded")
    for pid in sorted(set(invited) - expected, key=lambda u: u.hex):
        found.differences.append(f"{refs(pid)} was invited by this draw but is neither on its panel nor a replacement")
    if unreadable:
        found.differences.append(f"{unreadable} invitation event(s) cannot be read (corrupted records)")
