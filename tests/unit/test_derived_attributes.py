"""The one derivation of IMD quintile and Core20 (panel.domain.attributes), pinned on its boundaries."""

from __future__ import annotations

import pytest

from panel.domain.attributes import DERIVED, derive_features, imd_quintile


@pytest.mark.parametrize(
    ("decile", "quintile", "core20"),
    [
        ("1", "1", "yes"),
        ("2", "1", "yes"),  # the last Core20 decile
        ("3", "2", "no"),  # the first decile outside Core20
        ("4", "2", "no"),
        ("5", "3", "no"),
        ("9", "5", "no"),
        ("10", "5", "no"),
        ("02", "1", "yes"),  # leading zero: still decile 2
    ],
)
def test_a_valid_decile_gives_its_quintile_and_core20(decile: str, quintile: str, core20: str) -> None:
    assert imd_quintile(decile) == quintile
    assert derive_features({"imd_decile": decile}) == {"imd_decile": decile, "imd_quintile": quintile, "core20": core20}


@pytest.mark.parametrize("decile", ["0", "11", "-1", "", " 2", "2.0", "two", "²", "١"])
def test_anything_but_a_decile_from_1_to_10_derives_nothing(decile: str) -> None:
    assert imd_quintile(decile) is None
    assert derive_features({"imd_decile": decile, "age_band": "18-21"}) == {"imd_decile": decile, "age_band": "18-21"}


def test_a_quintile_alone_derives_no_core20() -> None:
    """Draws recorded so far hashed features derived from the decile only; verify re-derives them."""
    assert derive_features({"imd_quintile": "1"}) == {"imd_quintile": "1"}


def test_values_the_person_stated_are_kept() -> None:
    stated = {"imd_decile": "1", "imd_quintile": "2", "core20": "no"}
    assert derive_features(stated) == stated
    assert derive_features({"imd_decile": "7", "core20": "yes"}) == {
        "imd_decile": "7",
        "imd_quintile": "4",
        "core20": "yes",
    }


def test_the_input_is_not_changed_and_every_derived_name_is_listed() -> None:
    attributes = {"imd_decile": "1"}
    derived = derive_features(attributes)
    assert attributes == {"imd_decile": "1"}
    assert set(derived) - set(attributes) == set(DERIVED)
