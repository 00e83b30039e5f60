"""Who can be drawn for an engagement at a moment, computed from the event history.

A person is in the pool when every exclusion rule lets them through. The built-in rules are the
ones every draw needs (consent, erasure, leaving, eligibility, cooldown, already invited); more
rules plug in as callables, e.g. the fatigue policy of the projections layer.

The same assessment serves a draw (people as they are now) and its verification (people as they
were when the draw was recorded, read back from the history), so both apply the same rules.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.exceptions import InvalidTag

from panel.domain.attributes import derive_features
from panel.domain.confirmation import EmailConfirmation, awaits_confirmation, confirmation_id
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.draws.history import versions_as_of
from panel.fatigue import Fatigue
from panel.queries import Queries
from panel.records import PersonalData
from panel.store.sealing import merge_personal

if TYPE_CHECKING:
    from panel.application import PanelApp

NOT_STATED = "not_stated"
UNREADABLE = "personal data cannot be decrypted (corrupted record)"
UNREADABLE_HISTORY = "history cannot be read (corrupted record)"
UNCONFIRMED = "email address not confirmed (online application)"
Rule = Callable[[Participant, Engagement, datetime], "str | None"]


def household_key(personal: PersonalData, by: str | None) -> str | None:
    """A household is people at the same postcode (or the same address and postcode)."""
    if by is None:
        return None
    postcode = re.sub(r"\s+", "", (personal.postcode or "").upper())
    if by == "postcode":
        return postcode or None
    address = re.sub(r"[^a-z0-9]+", " ", (personal.address or "").lower()).strip()
    return f"{address}|{postcode}" if address or postcode else None


def member_hash(key: bytes, draw_context: str, features: dict[str, str], household: str | None) -> str:
    """An HMAC of a member's feature values under their own data key (gone once they are erased)."""
    payload = json.dumps([draw_context, sorted(features.items()), household], separators=(",", ":"))
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def read_personal(key: bytes, person: Participant) -> PersonalData | None:
    """The person's personal data as their record holds it, or None when a ciphertext is corrupted."""
    try:
        return merge_personal(key, person.id, person.sealed)
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class PoolMember:
    id: UUID
    version: int
    ref: str
    features: dict[str, str]
    household: str | None
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class Standing:
    """Where one person stood for a draw: in the pool (``reason`` None) or left out and why.

    ``unknown`` is set when the rules that need no personal data let the person through but their
    personal data can no longer be read (their key is gone: they were erased since).
    """

    reason: str | None
    member: PoolMember | None = None
    unknown: bool = False


@dataclass(frozen=True)
class PoolSnapshot:
    at: datetime
    members: list[PoolMember]
    excluded: dict[str, int]
    considered: int
    standings: dict[UUID, Standing] = field(default_factory=dict, repr=False)


def consent_rule(p: Participant, e: Engagement, at: datetime) -> str | None:
    for purpose in ("panel_membership", "contact"):
        if p.consent_at(purpose, at) is None:
            return f"no active {purpose} consent"
    return None


def status_rule(p: Participant, e: Engagement, at: datetime) -> str | None:
    if p.erased_at is not None:
        return "erased"
    if p.left_panel_at is not None and p.left_panel_at <= at:
        return "left the panel"
    if p.participation_status(e.id) in ("invited", "accepted"):
        return "already invited to this engagement"
    return None


BUILT_IN_RULES: tuple[Rule, ...] = (status_rule, consent_rule)


def pool_rules(app: PanelApp, fatigue: Any, extra_rules: Iterable[Rule] = ()) -> list[Rule]:
    """The rules of a draw: the built-in ones, the fatigue rules in force (``fatigue``), then any extra."""

    def fatigue_rule(p: Participant, e: Engagement, moment: datetime) -> str | None:
        return Fatigue(app).fatigue_excluded(p, e.id, moment, rules=fatigue)

    return [*BUILT_IN_RULES, fatigue_rule, *extra_rules]


def assess(
    person: Participant,
    engagement: Engagement,
    at: datetime,
    rules: Sequence[Rule],
    key: bytes | None,
    *,
    features: Sequence[str] | None,
    household_by: str | None,
    confirmed: Callable[[UUID], bool] = lambda pid: True,
) -> Standing:
    """Apply every rule to one person as ``person`` holds their history (now, or as of a past position);
    ``confirmed`` says whether a participant's email address was confirmed by then (double opt-in)."""
    reason = next((r for rule in rules if (r := rule(person, engagement, at)) is not None), None)
    if reason is not None:
        return Standing(reason)
    if key is None:
        return Standing(None, unknown=True)
    personal = read_personal(key, person)
    if personal is None:
        return Standing(UNREADABLE)
    if awaits_confirmation(person.source, person.channel, personal.email) and not confirmed(person.id):
        return Standing(UNCONFIRMED)
    attributes = derive_features(personal.attributes)
    if not engagement.is_eligible(attributes):
        return Standing("not eligible: " + "; ".join(engagement.eligibility))
    chosen = {f: attributes.get(f, NOT_STATED) for f in features} if features is not None else attributes
    member = PoolMember(
        person.id, person.version, person.external_ref, chosen, household_key(personal, household_by), key
    )
    return Standing(None, member)


def evaluate(
    people: Iterable[Participant],
    keys: dict[UUID, bytes],
    engagement: Engagement,
    at: datetime,
    rules: Sequence[Rule],
    *,
    features: Sequence[str] | None,
    household_by: str | None,
    considered: int,
    unknown_reason: str | None = "erased",
    confirmed: Callable[[UUID], bool] = lambda pid: True,
) -> PoolSnapshot:
    """Assess everyone in ``people``; those whose data cannot be read count as ``unknown_reason``
    (a draw leaves them out) or stay unknown (``unknown_reason`` None: a verification lists them)."""
    excluded: Counter[str] = Counter()
    members: list[PoolMember] = []
    standings: dict[UUID, Standing] = {}
    for person in people:
        standing = assess(
            person,
            engagement,
            at,
            rules,
            keys.get(person.id),
            features=features,
            household_by=household_by,
            confirmed=confirmed,
        )
        if standing.unknown and unknown_reason is not None:
            standing = Standing(unknown_reason)
        standings[person.id] = standing
        if standing.member is not None:
            members.append(standing.member)
        elif standing.reason is not None:
            excluded[standing.reason] += 1
    members.sort(key=lambda m: m.id.hex)
    return PoolSnapshot(at, members, dict(excluded), considered, standings)


def build_pool(
    app: PanelApp,
    engagement: Engagement,
    at: datetime,
    *,
    features: Sequence[str] | None = None,
    household_by: str | None = None,
    extra_rules: Iterable[Rule] = (),
    candidate_ids: Iterable[UUID] | None = None,
    position: int | None = None,
    unknown_reason: str | None = "erased",
) -> PoolSnapshot:
    """Everyone who may be drawn for ``engagement`` at ``at``, with their features and household.

    With ``position``, everyone is read as the history stood at that position (the engagement and
    the fatigue rules too): what a draw snapshots and what its verification rebuilds. ``candidate_ids``
    may narrow the people loaded (e.g. the consent view's holders of both pool consents, plus
    anyone changed since the view was read); every rule is still checked on each person's history.
    """
    versions = None if position is None else versions_as_of(app, position)
    if versions is not None:
        engagement = app.repository.get(engagement.id, version=versions[engagement.id])
    rules = pool_rules(app, Fatigue(app).fatigue_rules(engagement.id, as_of=versions), extra_rules)
    everyone = [pid for pid in Queries(app).participant_ids() if versions is None or pid in versions]
    wanted = everyone if candidate_ids is None else sorted(set(candidate_ids) & set(everyone), key=lambda u: u.hex)
    people, unreadable = _load(app, wanted, versions)
    keys = app.keys.get_keys(p.id for p in people)
    snapshot = evaluate(
        people,
        keys,
        engagement,
        at,
        rules,
        features=features,
        household_by=household_by,
        considered=len(everyone),
        unknown_reason=unknown_reason,
        confirmed=confirmations(app, at, versions),
    )
    for pid in unreadable:
        snapshot.standings[pid] = Standing(UNREADABLE_HISTORY)
        snapshot.excluded[UNREADABLE_HISTORY] = snapshot.excluded.get(UNREADABLE_HISTORY, 0) + 1
    if len(wanted) < len(everyone):
        snapshot.excluded["no active panel_membership and contact consent, left or erased (consent view)"] = len(
            everyone
        ) - len(wanted)
    return snapshot


def confirmations(app: PanelApp, at: datetime, versions: dict[UUID, int] | None) -> Callable[[UUID], bool]:
    """Whether a participant's email was confirmed by ``at``, as the store stands (or as of ``versions``)."""

    def confirmed(pid: UUID) -> bool:
        cid = confirmation_id(pid)
        if (versions is not None and cid not in versions) or (versions is None and not app.exists(cid)):
            return False
        confirmation = (
            app.load(cid, EmailConfirmation) if versions is None else app.repository.get(cid, version=versions[cid])
        )
        return bool(confirmation.confirmed_at <= at)

    return confirmed


def _load(app: PanelApp, ids: Sequence[UUID], versions: dict[UUID, int] | None) -> tuple[list[Participant], list[UUID]]:
    """The participants (as of ``versions`` when given), and the ids whose history cannot be read."""
    people: list[Participant] = []
    unreadable: list[UUID] = []
    for pid in ids:
        try:
            person: Participant = app.repository.get(pid, version=None if versions is None else versions[pid])
        except Exception:  # noqa: BLE001 - a corrupted stored event is reported as such, never raised
            unreadable.append(pid)
            continue
        if isinstance(person, Participant):
            people.append(person)
    return people, unreadable
