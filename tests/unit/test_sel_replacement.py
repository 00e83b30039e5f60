"""The replacement rules (selection.replacement): which reserve fills an empty seat, recomputably."""

from __future__ import annotations

import pytest

import selection
from selection.replacement import Option, UnknownReplacementRuleError, pick, quota_gap

QUOTAS = [
    selection.Quota("gender", "woman", 2, 3),
    selection.Quota("gender", "man", 2, 3),
    selection.Quota("age", "young", 1, 3),
]


def person(cid: str, gender: str, age: str, household: str | None = None) -> selection.Candidate:
    return selection.Candidate(id=cid, features={"gender": gender, "age": age}, household=household)


def options(
    rest: list[selection.Candidate], reserves: list[selection.Candidate | None], quotas: list[selection.Quota]
) -> list[Option | None]:
    """Each reserve's option as panel.draws.replace scores it (None: cannot be invited)."""
    out: list[Option | None] = []
    for r in reserves:
        if r is None:
            out.append(None)
            continue
        gone = selection.Candidate(id="gone", features={}, household=None)
        swap = selection.replace([*rest, gone, r], quotas, [c.id for c in rest] + ["gone"], "gone", [r.id])
        out.append(Option(quota_gap([*rest, r], quotas), len(swap.broken)))
    return out


REST = [person("a", "woman", "old"), person("b", "man", "old"), person("c", "man", "old"), person("d", "woman", "old")]


def test_the_quota_gap_counts_people_missing_below_minimums_and_above_maximums() -> None:
    assert quota_gap(REST, QUOTAS) == 1  # no young member: one short
    assert quota_gap([*REST, person("e", "woman", "young")], QUOTAS) == 0
    four_men = [person(f"m{i}", "man", "young") for i in range(4)]
    assert quota_gap(four_men, QUOTAS) == 2 + 1 + 1  # two women missing, one man and one young too many
    assert quota_gap([person("x", "WOMAN", "Young")], QUOTAS) == 1 + 2  # values match case-insensitively


def test_when_a_reserve_keeps_every_quota_both_rules_take_the_first_such_reserve() -> None:
    young = [person("r1", "man", "old"), person("r2", "woman", "young"), person("r3", "man", "young")]
    scored = options(REST, list(young), QUOTAS)
    assert scored[0] == Option(1, 1) and scored[1] == Option(0, 0) and scored[2] == Option(0, 0)
    assert pick(scored, "best") == 1 and pick(scored, "first") == 1  # r2 and r3 tie: the earlier


def test_best_takes_a_later_reserve_who_restores_a_broken_quota_better_than_the_first() -> None:
    quotas = [selection.Quota("age", "young", 3, 6), selection.Quota("gender", "woman", 2, 6)]
    rest = [person("a", "woman", "young"), person("b", "woman", "old"), person("c", "man", "old")]
    reserves = [person("r1", "woman", "old"), person("r2", "man", "young")]
    scored = options(rest, list(reserves), quotas)
    # each breaks the young quota only (one quota named each): "first" keeps the list's order
    assert scored == [Option(2, 1), Option(1, 1)]
    assert pick(scored, "first") == 0
    assert pick(scored, "best") == 1  # r2 leaves one young member missing, r1 two


def test_best_weighs_people_missing_before_the_number_of_quotas_named() -> None:
    quotas = [selection.Quota("age", "young", 3, 6), selection.Quota("gender", "woman", 2, 6)]
    rest = [person("a", "man", "young"), person("b", "woman", "old"), person("c", "man", "old")]
    reserves = [person("r1", "woman", "old"), person("r2", "man", "young")]
    scored = options(rest, list(reserves), quotas)
    assert scored == [Option(2, 1), Option(2, 2)] and pick(scored, "best") == 0 == pick(scored, "first")
    crowded = options(rest, [person("r1", "man", "old"), person("r2", "woman", "young")], quotas)
    assert crowded == [Option(3, 2), Option(1, 1)] and pick(crowded, "best") == 1


def test_a_reserve_who_would_exceed_a_maximum_or_share_a_household_comes_after_one_who_does_not() -> None:
    full = [*REST[:3], person("e", "man", "young", household="h1")]  # three men: a fourth exceeds the maximum
    scored = options(full, [person("r1", "man", "old"), person("r2", "woman", "old")], QUOTAS)
    assert scored == [Option(2, 2), Option(0, 0)] and pick(scored, "best") == 1  # r1: four men, one woman
    housemate = options(full, [person("r1", "woman", "old", household="h1"), person("r2", "woman", "old")], QUOTAS)
    assert housemate == [Option(0, 1), Option(0, 0)] and pick(housemate, "best") == 1


def test_reserves_who_cannot_be_invited_are_never_taken() -> None:
    assert pick([None, Option(3, 2), None], "best") == 1
    assert pick([None, None], "best") is None and pick([], "first") is None
    with pytest.raises(UnknownReplacementRuleError, match="replacement rule 'nearest' is unknown"):
        pick([Option(0, 0)], "nearest")
