"""The application side of dropout-aware reserves: the replacement rule, the simulation seed, the options."""

from __future__ import annotations

import pytest

import selection
from panel.domain.errors import ValidationError
from panel.draws.dropout_history import outcome
from panel.draws.reserves_model import best_reserve, check_model, simulation_seed, summary

QUOTAS = [
    selection.Quota("gender", "woman", 2, 3),
    selection.Quota("gender", "man", 2, 3),
    selection.Quota("age", "young", 1, 3),
]


def person(cid: str, gender: str, age: str) -> selection.Candidate:
    return selection.Candidate(id=cid, features={"gender": gender, "age": age}, household=None)


REST = [person("a", "woman", "old"), person("b", "man", "old"), person("c", "man", "old"), person("d", "woman", "old")]
RESERVES = [person("r1", "man", "old"), person("r2", "woman", "old"), person("r3", "woman", "young")]


def test_the_reserve_who_restores_the_quotas_best_is_taken_not_the_first() -> None:
    # Without the young member who left, "young" is one short: only r3 restores it.
    assert best_reserve(REST, RESERVES, [True, True, True], QUOTAS) == 2
    # r3 unavailable: r1 (a third man, within max) and r2 (a third woman) tie; the earlier wins.
    assert best_reserve(REST, RESERVES, [True, True, False], QUOTAS) == 0
    assert best_reserve(REST, RESERVES, [False, True, False], QUOTAS) == 1
    assert best_reserve(REST, RESERVES, [False, False, False], QUOTAS) is None


def test_the_reserve_who_would_exceed_a_maximum_comes_after_one_who_does_not() -> None:
    full = [*REST[:3], person("e", "man", "young")]  # three men: a fourth would exceed the maximum
    assert best_reserve(full, [RESERVES[0], RESERVES[1]], [True, True], QUOTAS) == 1


def test_the_simulation_seed_follows_from_the_draws_randomness_only() -> None:
    first = simulation_seed("ab" * 32, 5, None)
    assert first == simulation_seed("ab" * 32, 5, None) and 0 <= first < 2**63
    assert len({first, simulation_seed("ab" * 32, 6, None), simulation_seed("cd" * 32, 5, None)}) == 3
    assert simulation_seed("ab" * 32, None, "04 11 23") != simulation_seed("ab" * 32, None, "04 11 24")


def test_options_and_the_plain_summary() -> None:
    check_model("plain", 0)
    check_model("dropout", 1)
    with pytest.raises(ValidationError, match="give --reserves N"):
        check_model("dropout", 0)
    with pytest.raises(ValidationError, match="use plain or dropout"):
        check_model("oracle", 3)
    assert summary(None) == {"name": "plain"}


def test_what_counts_as_a_dropout() -> None:
    entry = {"status": "accepted", "attended": [], "no_shows": []}
    assert outcome(entry) is None  # nothing recorded yet: not counted
    assert outcome({**entry, "no_shows": ["2026-01-20"]}) is True
    assert outcome({**entry, "attended": [["2026-01-20", False]], "no_shows": ["2026-01-27"]}) is False
    assert outcome({**entry, "status": "withdrew"}) is True
    assert outcome({**entry, "status": "invited"}) is None
    assert outcome(None) is None
