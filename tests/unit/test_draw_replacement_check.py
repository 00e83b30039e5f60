"""The re-check of one replacement (panel.draws.verify_replacements.choice_problems), without a store."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from panel.draws.verify_replacements import choice_problems

A, B, C = uuid4(), uuid4(), uuid4()
NAMES = {A: "R-A", B: "R-B", C: "R-C"}
SKIP = "would break the quotas: age_band 18-21 would have 2, below its min 4"


def refs(pid: UUID) -> str:
    return NAMES[pid]


def record(taken: UUID | None, quota_ok: bool, rule: str) -> dict[str, Any]:
    return {"replacement": None if taken is None else taken.hex, "quota_ok": quota_ok, "rule": rule}


SWAPS = {A: (["age_band 18-21 would have 2, below its min 4"], 2), B: (["age_band 18-21 would have 3"], 1), C: ([], 0)}


def test_the_reserve_the_rule_best_gives_verifies() -> None:
    assert choice_problems([(A, SKIP), (B, None)], record(B, False, "best"), refs, SWAPS, "best") == []  # type: ignore[arg-type]
    assert choice_problems([(A, SKIP), (C, None)], record(C, True, "best"), refs, SWAPS, "best") == []  # type: ignore[arg-type]


def test_a_reserve_other_than_the_rules_is_a_difference() -> None:
    steered = choice_problems([(A, None), (B, SKIP)], record(A, False, "best"), refs, SWAPS, "best")  # type: ignore[arg-type]
    assert steered == ["by the rule best the reserve to take was R-B, not R-A"]
    # by the rule first the same choice is right (each names one quota: the earlier), and unchecked it passes
    assert choice_problems([(A, None), (B, SKIP)], record(A, False, "first"), refs, SWAPS, "first") == []  # type: ignore[arg-type]
    assert choice_problems([(A, SKIP), (B, None)], record(B, False, "first"), refs, SWAPS, "first") == [
        "by the rule first the reserve to take was R-A, not R-B"
    ]  # type: ignore[arg-type]
    assert choice_problems([(A, SKIP), (B, None)], record(B, False, "first"), refs, SWAPS, None) == []  # type: ignore[arg-type]
    nobody = choice_problems([(A, SKIP)], record(None, False, "best"), refs, SWAPS, "best")  # type: ignore[arg-type]
    assert nobody == ["by the rule best the reserve to take was R-A, not nobody"]


def test_a_false_skip_or_a_false_quota_ok_is_a_difference_under_any_rule() -> None:
    for rule in ("first", "best"):
        lied = choice_problems([(C, SKIP), (B, None)], record(B, False, rule), refs, SWAPS, rule)  # type: ignore[arg-type]
        assert "reserve R-C was passed over as breaking the quotas, but keeps every quota" in lied
        wrong = choice_problems([(B, None)], record(B, True, rule), refs, SWAPS, rule)  # type: ignore[arg-type]
        assert wrong == [
            "the reserve taken breaks age_band 18-21 would have 3, but the replacement records quota_ok=True"
        ]
