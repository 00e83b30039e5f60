"""The one reading of a typed whole number (CLI options, ?page=, settings): ASCII digits only, within bounds."""

from __future__ import annotations

import pytest

from panel.numbers import LONGEST, whole_number


@pytest.mark.parametrize(
    ("text", "least", "most", "expected"),
    [
        ("0", 0, None, 0),
        ("007", 0, None, 7),
        ("10000", 1, 10_000, 10_000),
        ("9" * LONGEST, 0, None, 10**LONGEST - 1),
        ("2", 1, 3, 2),
    ],
)
def test_whole_numbers_are_read(text: str, least: int, most: int | None, expected: int) -> None:
    assert whole_number(text, least, most) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1",
        "1 ",
        "+1",
        "-1",
        "1.0",
        "1e3",
        "0x1",
        "1_000",
        "\u00b2",  # superscript two: str.isdigit() says yes, int() refuses it
        "\uff11",  # fullwidth one: int() reads it as 1
        "\u0661",  # Arabic-Indic one: int() reads it as 1
        "9" * (LONGEST + 1),  # past a 64-bit integer's reach
    ],
)
def test_anything_else_is_not_one(text: str) -> None:
    assert whole_number(text) is None


@pytest.mark.parametrize(("text", "least", "most"), [("0", 1, None), ("10001", 1, 10_000), ("4", 5, 9)])
def test_numbers_outside_the_bounds_are_not_read(text: str, least: int, most: int | None) -> None:
    assert whole_number(text, least, most) is None
