"""The published rule of an announced draw (panel/draws/announce_rule.py), on hand-made documents."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

import numpy as np
import pytest

from panel.domain.errors import ValidationError
from panel.draws.announce_rule import (
    FORMAT,
    chain_head,
    chain_reserves,
    check_document,
    commitment,
    document_sha256,
    lottery_index,
    lottery_sha256,
    member_salt,
    normalise_numbers,
    pool_sha256,
)
from selection.lottery import draw_index

PEOPLE = [UUID(int=i + 1) for i in range(6)]
KEY = b"k" * 32


def document() -> dict[str, Any]:
    aid = UUID(int=99)
    commitments = sorted(commitment(member_salt(KEY + bytes([i]), aid), p) for i, p in enumerate(PEOPLE))
    panels = [["0000", "0002"], ["0001", "0003"], ["0004", "0005"], ["0000", "0005"]]
    doc: dict[str, Any] = {
        "format": FORMAT,
        "announcement": str(aid),
        "reserves": 3,
        "types": [[["a"], None, 2], [["b"], "h1", 2], [["c"], None, 2]],  # slots 0002 and 0003 share a household
        "pool": {"members": 6, "commitments": commitments, "sha256": pool_sha256(commitments)},
        "lottery": {"size": 4, "panels": panels, "sha256": lottery_sha256(panels)},
    }
    doc["announcement_sha256"] = document_sha256(doc)
    return doc


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("04 11 23 35 41 49", "4 11 23 35 41 49"),
        ("49,41;35 - 23/11+04", "4 11 23 35 41 49"),
        ("7", "7"),
        ("0 0", "0 0"),
    ],
)
def test_numbers_are_normalised_to_ascending_whole_numbers(text: str, normalised: str) -> None:
    assert normalise_numbers(text) == normalised


@pytest.mark.parametrize("text", ["", "   ", "four", "04 11 x", "4.5", "1" * 13, " ".join(["1"] * 101)])
def test_anything_but_numbers_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        normalise_numbers(text)


def test_the_index_is_the_same_rule_as_a_draw_seeded_from_that_text() -> None:
    head = chain_head("ab" * 32, "4 11 23")
    assert head == hashlib.sha256(("ab" * 32 + ":4 11 23").encode()).digest()
    for size in (1, 7, 1000, 2409):
        assert lottery_index(head, size) == draw_index(size, np.random.default_rng(0), "ab" * 32 + ":4 11 23")


def test_the_reserve_chain_skips_the_panel_its_households_and_itself() -> None:
    doc = document()
    for numbers in ("1 2 3", "4 5 6", "7 8 9", "10 11 12"):
        head = chain_head(doc["announcement_sha256"], numbers)
        reserves = chain_reserves(head, doc["types"], ["0000", "0002"], 5)
        assert sorted(reserves) == ["0001", "0004", "0005"]  # 0003 shares 0002's household
        assert reserves == chain_reserves(head, doc["types"], ["0000", "0002"], 5)
    orders = {tuple(chain_reserves(chain_head("x", str(n)), doc["types"], ["0000"], 2)) for n in range(40)}
    assert len(orders) > 3  # the chain, not a fixed order, picks them


def test_a_valid_document_checks_and_gives_the_panel_at_the_index() -> None:
    doc = document()
    result = check_document(doc, "04 11 23 35 41 49")
    assert result["valid"] and not result["failures"]
    assert result["panel_slots"] == doc["lottery"]["panels"][result["lottery_index"]]
    assert result == check_document(json.loads(json.dumps(doc)), "49 41 35 23 11 4")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["pool"]["commitments"].__setitem__(2, "f" * 64),
        lambda d: d["pool"].__setitem__("members", 7),
        lambda d: d["lottery"]["panels"][1].__setitem__(0, "0002"),
        lambda d: d.__setitem__("reserves", 2),
        lambda d: d["types"][0].__setitem__(2, 3),
        lambda d: d.__setitem__("announcement_sha256", "0" * 64),
    ],
)
def test_one_changed_value_fails_the_check(change: Any) -> None:
    doc = document()
    change(doc)
    assert not check_document(doc, "1 2 3")["valid"]


def test_a_member_with_their_salt_finds_their_commitment_and_nobody_else_does() -> None:
    doc = document()
    aid = UUID(doc["announcement"])
    salt = member_salt(KEY + bytes([3]), aid)
    assert check_document(doc, "1", salt, PEOPLE[3])["in_pool"] is True
    assert check_document(doc, "1", salt, PEOPLE[2])["in_pool"] is False
    assert check_document(doc, "1", member_salt(KEY, UUID(int=98)), PEOPLE[0])["valid"] is False


def test_each_reserve_has_the_type_of_the_panel_member_it_stands_in_for() -> None:
    doc = document()
    for n in range(20):
        head = chain_head(doc["announcement_sha256"], str(n))
        assert sorted(chain_reserves(head, doc["types"], ["0000", "0004"], 2)) == ["0001", "0005"]
