"""The ledger view's reference key (``projections.ledger_view.reference_key``) folds what Python's ``str.lower``
turns into ASCII, and nothing SQL would fold by a locale: the characters it must know, and the SQL it is."""

from __future__ import annotations

import sys

from sqlalchemy import column, select
from sqlalchemy.dialects import postgresql, sqlite

from projections.ledger_view import ASCII_LOWERED, reference_key


def test_the_characters_python_lowers_into_ascii_are_the_ones_the_key_folds() -> None:
    """If a Unicode update gives ``str.lower`` another such character, the key (and so the index) must learn it:
    an ASCII reference typed for a reference holding it would otherwise not find it."""
    beyond = (chr(c) for c in range(0x80, sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert {c: c.lower() for c in beyond if c.lower().isascii()} == ASCII_LOWERED


def test_the_key_is_one_expression_an_index_can_hold_on_each_database() -> None:
    stmt = select(reference_key(column("reference")))
    assert (
        str(stmt.compile(dialect=sqlite.dialect()))
        == "SELECT lower(replace(reference, '\u212a', 'k')) AS reference_key_1"
    )
    assert (
        str(stmt.compile(dialect=postgresql.dialect()))
        == "SELECT lower(replace(reference, '\u212a', 'k') COLLATE \"C\") AS reference_key_1"
    )
