"""The reach report: who we reach at each stage, by attribute, against target population shares.

Stages: registered (in the window), pool (eligible at the end of the window: active
panel_membership and contact consent, not left or erased, and the engagement's eligibility
rules), invited, selected (invited by a draw) and attended (first session in the window).
Shares are taken over the people whose value is known: unknown, withheld and erased values are
counted in their own rows and left out of the denominator.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from panel.domain.attributes import derive_features
from panel.domain.errors import ValidationError
from panel.domain.values import EligibilityRule
from panel.id_bytes import IdCollector
from projections.consent_view import pool_candidates_query
from projections.engine import Projector
from projections.ledger import STREAM_ROWS
from projections.people import utc
from projections.reach_stages import StageIds, stage_names
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


def _stages(
    projector: Projector, conn: Any, engagement: UUID | None, since: datetime | None, until: datetime
) -> StageIds:
    consent, part = projector.tables("consent"), projector.tables("reach")["participation"]
    candidates = conn.execution_options(yield_per=STREAM_ROWS).execute(pool_candidates_query(consent, until))
    pool = IdCollector().extend(row[0] for row in candidates).done()
    invited, selected, attended = IdCollector(), IdCollector(), IdCollector()
    query = select(part.c.participant_id, part.c.invited_at, part.c.draw_id, part.c.first_session)
    if engagement is not None:
        query = query.where(part.c.engagement_id == engagement.hex)
    for pid, invited_at, draw_id, first_session in conn.execution_options(yield_per=STREAM_ROWS).execute(query):
        if _in(invited_at, since, until):
            invited.add(pid)
            if draw_id is not None:
                selected.add(pid)
        if _in(first_session, since, until):
            attended.add(pid)
    return StageIds(pool, invited.done(), selected.done(), attended.done())


def people_at_stages(
    projector: Projector,
    *,
    engagement: UUID | None,
    since: datetime | None,
    until: datetime,
    eligibility: Sequence[EligibilityRule] = (),
) -> Iterator[tuple[dict[str, str], list[str]]]:
    """Each participant's derived attributes (``{"__erased__": "yes"}`` once erased) and the stages they are at,
    one person at a time: the people table is streamed, and only the ids at the pool, invited, selected and
    attended stages are held, compactly (``StageIds``; never everyone's attributes). Ids at those stages that
    the people table does not hold come last, with no attributes."""
    people = projector.tables("reach")["people"]
    columns = (people.c.participant_id, people.c.registered_at, people.c.erased_at, people.c.attributes)
    with projector.engine.connect() as conn:
        stages = _stages(projector, conn, engagement, since, until)
        result = conn.execution_options(yield_per=STREAM_ROWS).execute(select(*columns))
        for rows in result.partitions():
            for (_, registered_at, erased_at, values), marks in zip(rows, stages.take([r[0] for r in rows]),
                                                                    strict=True):  # fmt: skip
                derived = derive_features(json.loads(values) if values else {}) if erased_at is None else {}
                at = stage_names(
                    _in(registered_at, since, until), marks, functools.partial(_eligible, derived, eligibility)
                )
                yield ({"__erased__": "yes"} if erased_at is not None else derived), at
        conn.rollback()
    for marks in stages.left():
        yield {}, stage_names(False, marks, functools.partial(_eligible, {}, eligibility))


def _eligible(derived: dict[str, str], eligibility: Sequence[EligibilityRule]) -> bool:
    return all(rule.holds(derived) for rule in eligibility)


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
    counts: dict[tuple[str, ...], Counter[str]] = {}
    totals: Counter[str] = Counter()
    chosen = _Chosen(list(dict.fromkeys(fields)), rules)
    for attrs, at in people_at_stages(projector, engagement=engagement, since=since, until=until,
                                      eligibility=eligibility):  # fmt: skip
        if not at:
            continue
        key = tuple(value_of(attrs, f) for f in fields)
        for name in at:
            counts.setdefault(key, Counter())[name] += 1
            totals[name] += 1
        if stage in at:
            chosen.add(attrs)
    groups = [
        {**dict(zip(fields, key, strict=True)), **{s: c[s] for s in STAGES}}
        for key, c in sorted(counts.items(), key=lambda kv: (-kv[1][stage], kv[0]))
    ]
    representation = _representation(chosen, targets or {})
    notes = [
        f"category {c!r}: target shares add up to {sum(v.values()):.2f}, not 1"
        for c, v in (targets or {}).items()
        if c not in single_valued(targets or {}) and abs(sum(v.values()) - 1) > 0.02
    ]
    return ReachReport(
        fields, stage, engagement_ref, since, until, {s: totals[s] for s in STAGES}, groups, representation, notes
    )


class _Chosen:
    """What the representation needs of the people at the chosen stage, counted as they are read: each field's
    values, the Core20 figures, and each extra rule's known and holding counts."""

    def __init__(self, categories: list[str], rules: list[EligibilityRule]) -> None:
        self.categories, self.rules = categories, rules
        self.values: dict[str, Counter[str]] = {c: Counter() for c in categories}
        self.imd = False  # anyone with an IMD decile or quintile
        self.core20_known = self.core20_yes = 0
        self.rule_known = [0] * len(rules)
        self.rule_holds = [0] * len(rules)

    def add(self, attrs: dict[str, str]) -> None:
        for category in self.categories:
            self.values[category][value_of(attrs, category)] += 1
        self.imd = self.imd or "imd_decile" in attrs or "imd_quintile" in attrs
        self.core20_known += "core20" in attrs
        self.core20_yes += attrs.get("core20") == "yes"
        for i, rule in enumerate(self.rules):
            self.rule_known[i] += value_of(attrs, rule.field) not in NOT_KNOWN
            self.rule_holds[i] += rule.holds(attrs)


def _representation(chosen: _Chosen, targets: Targets) -> list[Representation]:
    rows: list[Representation] = []
    categories = chosen.categories
    for category in categories:
        values = chosen.values[category]
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
    if chosen.imd and not imd_shown:
        rows.append(
            _row("core20", "yes", chosen.core20_yes, chosen.core20_known, core20_target(targets), ("Core20",), False)
        )
    for i, rule in enumerate(chosen.rules):
        target = None
        if rule.op in ("in", "="):
            shares = [target_share(targets, rule.field, v) for v in rule.values]
            target = sum(s for s in shares if s is not None) if any(s is not None for s in shares) else None
        rows.append(_row("PLUS", str(rule), chosen.rule_holds[i], chosen.rule_known[i], target, ("PLUS",), False))
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
