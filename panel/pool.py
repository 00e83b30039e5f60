"""Who can be drawn for an engagement at a moment, computed from the event history.

A person is in the pool when every exclusion rule lets them through. The built-in rules are the
ones every draw needs (consent, erasure, leaving, eligibility, cooldown, already invited); more
rules plug in as callables, e.g. the fatigue policy of the projections layer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.records import PersonalData

if TYPE_CHECKING:
    from panel.application import PanelApp

NOT_STATED = "not_stated"
Rule = Callable[[Participant, Engagement, datetime], "str | None"]


def derive_features(attributes: dict[str, str]) -> dict[str, str]:
    """Attributes plus the derived ones reach and quotas use: IMD quintile and Core20."""
    features = dict(attributes)
    decile = attributes.get("imd_decile", "")
    if decile.isdigit() and 1 <= int(decile) <= 10:
        features.setdefault("imd_quintile", str((int(decile) + 1) // 2))
        features.setdefault("core20", "yes" if int(decile) <= 2 else "no")
    return features


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


@dataclass(frozen=True)
class PoolMember:
    id: UUID
    version: int
    ref: str
    features: dict[str, str]
    household: str | None
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class PoolSnapshot:
    at: datetime
    members: list[PoolMember]
    excluded: dict[str, int]
    considered: int


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


def build_pool(
    app: PanelApp,
    engagement: Engagement,
    at: datetime,
    *,
    features: Sequence[str] | None = None,
    household_by: str | None = None,
    extra_rules: Iterable[Rule] = (),
    candidate_ids: Iterable[UUID] | None = None,
) -> PoolSnapshot:
    """Everyone who may be drawn for ``engagement`` at ``at``, with their features and household.

    ``candidate_ids`` may narrow the people loaded (e.g. the consent view's holders of both pool
    consents); every rule is still checked on each loaded person's own history.
    """
    fatigue = app.fatigue_rules(engagement.id)  # the engagement's cooldown and the fatigue policy

    def fatigue_rule(p: Participant, e: Engagement, moment: datetime) -> str | None:
        return app.fatigue_excluded(p, e.id, moment, rules=fatigue)

    rules = [*BUILT_IN_RULES, fatigue_rule, *extra_rules]
    everyone = list(app.participant_ids())
    wanted = everyone if candidate_ids is None else sorted(set(candidate_ids) & set(everyone), key=lambda u: u.hex)
    people = [app.participant_aggregate(pid) for pid in wanted]
    keys = app.keys.get_keys(p.id for p in people)
    excluded: Counter[str] = Counter()
    if len(wanted) < len(everyone):
        excluded["no active panel_membership and contact consent, left or erased (consent view)"] = len(everyone) - len(
            wanted
        )
    members: list[PoolMember] = []
    for person in people:
        reason = next((r for rule in rules if (r := rule(person, engagement, at)) is not None), None)
        key = keys.get(person.id)
        if reason is None and key is None:
            reason = "erased"
        if reason is not None:
            excluded[reason] += 1
            continue
        personal = app.personal_data(person)
        attributes = derive_features(personal.attributes)
        if not engagement.is_eligible(attributes):
            excluded["not eligible: " + "; ".join(engagement.eligibility)] += 1
            continue
        chosen = {f: attributes.get(f, NOT_STATED) for f in features} if features is not None else attributes
        members.append(
            PoolMember(
                person.id, person.version, person.external_ref, chosen, household_key(personal, household_by), key
            )
        )
    members.sort(key=lambda m: m.id.hex)
    return PoolSnapshot(at, members, dict(excluded), len(everyone))
