"""The application side of dropout-aware reserves: the simulation seed, the options."""

from __future__ import annotations

import pytest

from panel.domain.errors import ValidationError
from panel.draws.dropout_history import outcome
from panel.draws.reserves_model import check_model, simulation_seed, summary


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
