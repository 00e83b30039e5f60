"""The reach report: who we reach at each stage, by attribute, against target population shares.

Stages: registered (in the window), pool (eligible at the end of the window: active
panel_membership and contact consent, not left or erased, and the engagement's eligibility
rules), invited, selected (invited by a draw) and attended (first session in the window).
Shares are taken over the people whose value is known: unknown, withheld and erased values are
counted in their own rows and left out of the denominator.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from panel.domain.attributes import derive_features
from panel.domain.errors import ValidationError
from panel.domain.values import EligibilityRule
from projections.consent_view import pool_candidates_query
from projections.engine import Projector
from projections.people import utc
from projections.targets import (
    ERASED,
    NOT_KNOWN,
    UNKNOWN,
    Targets,
    core20_target,
    is_core20,
    single_valued,
    target_share,
)

STAGES = ("registered", "pool", "invited", "selected", "attended")
UNDER, OVER = 0.8, 1.25


@dataclass(frozen=True)
class Representation:
    """One group's share of a stage against its target share."""

    category: str
    value: str
    count: int
    share: float | None
    target: float | None
    ratio: float | None
    gap: float | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReachReport:
    by: list[str]
    stage: str
    engagement: str | None
    since: datetime | None
    until: datetime
    totals: dict[str, int]
    groups: list[dict[str, Any]]
    representation: list[Representation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _in(moment: datetime | date | None, since: datetime | None, until: datetime) -> bool:
    if moment is None:
        return False
    if isinstance(moment, datetime):
        moment = utc(moment)
        return (since is None or moment >= since) and moment <= until
    return (since is None or moment >= since.date()) and moment <= until.date()


def stage_members(
    projector: Projector,
    *,
    engagement: UUID | None,
    since: datetime | None,
    until: datetime,
    eligibility: Sequence[EligibilityRule] = (),
) -> tuple[dict[str, set[str]], dict[str, dict[str, str]]]:
    """The participant ids at each stage, and every participant's (derived) attributes."""
    reach, consent = projector.tables("reach"), projector.tables("consent")
    stages: dict[str, set[str]] = {s: set() for s in STAGES}
    attributes: dict[str, dict[str, str]] = {}
    erased: set[str] = set()
    with projector.engine.connect() as conn:
        people = reach["people"]
        for pid, registered_at, erased_at, values in conn.execute(
            select(people.c.participant_id, people.c.registered_at, people.c.erased_at, people.c.attributes)
        ):
            attributes[pid] = json.loads(values) if values else {}
            if erased_at is not None:
                erased.add(pid)
            if _in(registered_at, since, until):
                stages["registered"].add(pid)
        pool = {row[0] for row in conn.execute(pool_candidates_query(consent, until))}
        part = reach["participation"]
        query = select(part.c.participant_id, part.c.invited_at, part.c.draw_id, part.c.first_session)
        if engagement is not None:
            query = query.where(part.c.engagement_id == engagement.hex)
        for pid, invited_at, draw_id, first_session in conn.execute(query):
            if _in(invited_at, since, until):
                stages["invited"].add(pid)
                if draw_id is not None:
                    stages["selected"].add(pid)
            if _in(first_session, since, until):
                stages["attended"].add(pid)
        conn.rollback()
    derived = {pid: derive_features(a) if pid not in erased else {} for pid, a in attributes.items()}
    stages["pool"] = {pid for pid in pool if all(rule.holds(derived.get(pid, {})) for rule in eligibility)}
    for pid in erased:
        derived[pid] = {"__erased__": "yes"}
    return stages, derived


def value_of(attrs: dict[str, str], name: str) -> str:
    if "__erased__" in attrs:
        return ERASED
    return attrs.get(name) or UNKNOWN


def reach_report(
    projector: Projector,
    *,
    by: Sequence[str],
    targets: Targets | None = None,
    engagement: UUID | None = None,
    engagement_ref: str | None = None,
    since: datetime | None = None,
    until: datetime,
    stage: str | None = None,
    plus: Sequence[str] = (),
    eligibility: Sequence[EligibilityRule] = (),
) -> ReachReport:
    """Counts per stage by the ``by`` fields, and the representation of the chosen stage."""
    fields = [f.strip().lower().replace("-", "_") for f in by if f.strip()]
    if not fields:
        raise ValidationError("--by is empty: name one or more attributes, e.g. --by age_band,imd_quintile")
    stage = stage or ("attended" if engagement else "registered")
    if stage not in STAGES:
        raise ValidationError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    rules = [EligibilityRule.parse(text) for text in plus]
    members, attrs = stage_members(projector, engagement=engagement, since=since, until=until, eligibility=eligibility)
    counts: dict[tuple[str, ...], Counter[str]] = {}
    for name in STAGES:
        for pid in members[name]:
            key = tuple(value_of(attrs.get(pid, {}), f) for f in fields)
            counts.setdefault(key, Counter())[name] += 1
    groups = [
        {**dict(zip(fields, key)), **{s: c[s] for s in STAGES}}
        for key, c in sorted(counts.items(), key=lambda kv: (-kv[1][stage], kv[0]))
    ]
    chosen = [attrs.get(pid, {}) for pid in members[stage]]
    representation = _representation(chosen, fields, targets or {}, rules)
    notes = [
        f"category {c!r}: target shares add up to {sum(v.values()):.2f}, not 1"
        for c, v in (targets or {}).items()
        if c not in single_valued(targets or {}) and abs(sum(v.values()) - 1) > 0.02
    ]
    return ReachReport(
        fields, stage, engagement_ref, since, until, {s: len(members[s]) for s in STAGES}, groups, representation, notes
    )


def _representation(
    chosen: list[dict[str, str]], fields: list[str], targets: Targets, rules: list[EligibilityRule]
) -> list[Representation]:
    rows: list[Representation] = []
    categories = list(dict.fromkeys(fields + [c for c in targets if c in fields]))
    for category in categories:
        values = Counter(value_of(a, category) for a in chosen)
        known = sum(n for v, n in values.items() if v not in NOT_KNOWN)
        for value in list(targets.get(category, {})) + [
            v for v in values if target_share(targets, category, v) is None
        ]:
            flags = ("Core20",) if is_core20(category, value) else ()
            rows.append(
                _row(
                    category,
                    value,
                    values.get(value, 0),
                    known,
                    target_share(targets, category, value),
                    flags,
                    value in NOT_KNOWN,
                )
            )
    imd_shown = {"core20", "imd_decile", "imd_quintile"} & set(categories)
    if any("imd_decile" in a or "imd_quintile" in a for a in chosen) and not imd_shown:
        known = sum(1 for a in chosen if "core20" in a)
        rows.append(
            _row(
                "core20",
                "yes",
                sum(1 for a in chosen if a.get("core20") == "yes"),
                known,
                core20_target(targets),
                ("Core20",),
                False,
            )
        )
    for rule in rules:
        known = sum(1 for a in chosen if value_of(a, rule.field) not in NOT_KNOWN)
        target = None
        if rule.op in ("in", "="):
            shares = [target_share(targets, rule.field, v) for v in rule.values]
            target = sum(s for s in shares if s is not None) if any(s is not None for s in shares) else None
        rows.append(_row("PLUS", str(rule), sum(1 for a in chosen if rule.holds(a)), known, target, ("PLUS",), False))
    return sorted(rows, key=lambda r: (r.ratio is None, r.ratio if r.ratio is not None else 0, r.category, r.value))


def _row(
    category: str, value: str, count: int, known: int, target: float | None, flags: tuple[str, ...], unknown: bool
) -> Representation:
    share = None if unknown or known == 0 else count / known
    ratio = share / target if share is not None and target else None
    gap = share - target if share is not None and target is not None else None
    if ratio is not None and ratio < UNDER:
        flags += ("under-reached",)
    elif ratio is not None and ratio > OVER:
        flags += ("over-reached",)
    return Representation(category, value, count, share, target, ratio, gap, flags)
