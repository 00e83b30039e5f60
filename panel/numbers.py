"""Whole numbers typed by people: one reading for every entry path (CLI options, web queries, settings).

``str.isdigit`` is not enough: it is true for "²" and other digits ``int`` refuses, and for any length, so a
check built on it can let a traceback or an overflow through (SQLite's integers stop at 2**63 - 1).
"""

from __future__ import annotations

import re

LONGEST = 18  # digits: every such number fits a 64-bit signed integer, SQLite's and PostgreSQL's bigint
_DIGITS = re.compile(rf"[0-9]{{1,{LONGEST}}}")


def whole_number(text: str, least: int = 0, most: int | None = None) -> int | None:
    """``text`` as a whole number from ``least`` to ``most``, or None when it is not one.

    Only the ASCII digits 0-9 count, at most ``LONGEST`` of them, with nothing around them (strip blanks first
    where they are allowed); ``most`` None means no bound but that.
    """
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    if number < least or (most is not None and number > most):
        return None
    return number
