"""A view generation being written (``Target``) and the progress callback catch-ups and rebuilds report to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table

from projections.view_base import View

Progress = Callable[[int, int], None]  # (done, total) notifications


@dataclass
class Target:
    """One generation of one view: the view, its tables, and the key its tracking position is kept under."""

    view: View
    tables: dict[str, Table]
    key: str
