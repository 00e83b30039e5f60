"""The dropout history a dropout-aware draw learns from: who accepted a place, and who then dropped out.

Counted from our own events as the log stood at a position (the draw's pool snapshot), so a draw
and its verification count exactly the same people:

- one record per person and engagement whose ``InvitationAccepted`` is recorded by then (any
  engagement, earlier rounds of this one included);
- **dropped out**: by then they withdrew from that engagement (``WithdrewFromEngagement`` after
  accepting), or were recorded as a no-show (``NoShow``) without attending any session;
- **stayed**: they attended at least one session (``Attended``) and did not withdraw;
- **not yet known**: accepted, nothing recorded since (the engagement has not happened yet): not
  counted, as counting them as staying would understate dropout. Their number is recorded.

Each record is counted under the person's values of the draw's quota features, read from their
attributes as they stood at the position and derived exactly as the pool derives them (a missing
value is ``not_stated``). People whose personal data cannot be read (erased) are only counted as
``unreadable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import get_topic

import selection.dropout as dropout
from panel.domain.attributes import derive_features
from panel.domain.participant import Participant
from panel.draws.history import versions_as_of
from panel.draws.pool_builder import NOT_STATED, read_personal

if TYPE_CHECKING:
    from panel.application import PanelApp

ACCEPTED_TOPIC = get_topic(Participant.InvitationAccepted)
RULE = (
    "per person and engagement accepted by the draw's snapshot: dropped out = withdrew after accepting, "
    "or a no-show without attending any session; stayed = attended a session; otherwise not yet known (not counted)"
)


@dataclass(frozen=True)
class GatheredHistory:
    """The counts the model learns from, and what was left out of them."""

    history: dropout.DropoutHistory
    position: int
    unresolved: int  # accepted, no outcome yet
    unreadable: int  # people whose personal data or history cannot be read

    def meta(self) -> dict[str, Any]:
        return {
            "as_of_position": self.position,
            "rule": RULE,
            "not_yet_known": self.unresolved,
            "unreadable": self.unreadable,
        }


def _accepted_pairs(app: PanelApp, position: int) -> tuple[dict[UUID, set[UUID]], int]:
    """Per person, the engagements they accepted up to ``position``; and how many events could not be read."""
    pairs: dict[UUID, set[UUID]] = {}
    unreadable = 0
    start = None
    while position > 0:
        page = app.recorder.select_notifications(
            start=start, limit=1000, stop=position, topics=[ACCEPTED_TOPIC], inclusive_of_start=False
        )
        for notification in page:
            try:
                fact = app.mapper.to_domain_event(notification)
            except Exception:  # noqa: BLE001 - a corrupted stored event is counted, never raised
                unreadable += 1
                continue
            pairs.setdefault(fact.originator_id, set()).add(fact.engagement_id)  # type: ignore[attr-defined]
        if len(page) < 1000:
            break
        start = page[-1].id
    return pairs, unreadable


def outcome(entry: dict[str, Any] | None) -> bool | None:
    """True: dropped out; False: stayed; None: not yet known (see the module docstring)."""
    if entry is None:
        return None
    if entry["status"] == "withdrew":
        return True
    if entry["status"] != "accepted":
        return None  # e.g. invited again after withdrawing: the earlier outcome is no longer in the record
    if entry["attended"]:
        return False
    return True if entry["no_shows"] else None


def gather(app: PanelApp, position: int, features: Sequence[str]) -> GatheredHistory:
    """Count the dropout history as of ``position`` by the values of ``features``."""
    pairs, unreadable = _accepted_pairs(app, position)
    versions = versions_as_of(app, position)
    keys = app.keys.get_keys(pairs)
    records: list[tuple[dict[str, str], bool]] = []
    unresolved = 0
    for pid in sorted(pairs, key=lambda u: u.hex):
        key = keys.get(pid)
        try:
            person: Participant = app.repository.get(pid, version=versions[pid])
        except Exception:  # noqa: BLE001 - an unreadable history is counted, never raised
            person = None  # type: ignore[assignment]
        personal = None if key is None or person is None else read_personal(key, person)
        if personal is None:
            unreadable += 1
            continue
        attributes = derive_features(personal.attributes)
        values = {f: attributes.get(f, NOT_STATED) for f in features}
        for eid in sorted(pairs[pid], key=lambda u: u.hex):
            out = outcome(person.participations.get(eid.hex))
            if out is None:
                unresolved += 1
            else:
                records.append((values, out))
    return GatheredHistory(dropout.history_from_records(records, features), position, unresolved, unreadable)


def history_from_dict(data: dict[str, Any]) -> dropout.DropoutHistory:
    """The history a draw recorded (``DropoutHistory.to_dict``), read back."""
    rows = tuple(
        dropout.ValueCounts(str(r["feature"]), str(r["value"]), int(r["accepted"]), int(r["dropped"]))
        for r in data["by_value"]
    )
    return dropout.DropoutHistory(int(data["accepted"]), int(data["dropped"]), rows)
