"""``Payments(app)`` is its parts composed (panel/payments/service.py): no part hides another's method."""

from __future__ import annotations

from itertools import combinations

from panel.payments.base import PaymentService
from panel.payments.service import PARTS, Payments


def own_names(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("__")}


def test_no_two_parts_define_the_same_name() -> None:
    shared = {f"{a.__name__} & {b.__name__}": own_names(a) & own_names(b) for a, b in combinations(PARTS, 2)}
    assert {pair: names for pair, names in shared.items() if names} == {}


def test_no_part_overrides_the_shared_base() -> None:
    assert {part.__name__: own_names(part) & own_names(PaymentService) for part in PARTS} == {
        part.__name__: set() for part in PARTS
    }


def test_payments_adds_nothing_of_its_own() -> None:
    assert Payments.__bases__ == PARTS
    assert own_names(Payments) == set()
