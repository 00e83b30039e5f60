"""A view generation being written (``Target``), what catch-ups and rebuilds work with (``Source``) and the
progress callback they report to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from panel.application import PanelApp
from projections.view_base import View

Progress = Callable[[int, int], None]  # (done, total) notifications


@dataclass
class Target:
    """One generation of one view: the view, its tables, and the key its tracking position is kept under."""

    view: View
    tables: dict[str, Table]
    key: str


class Source(Protocol):
    """What a catch-up or a bulk load works with: the projector (``projections.engine.Projector``) is one.

    They read the log through ``projections.reader.read_pages`` with its app and batch size.
    """

    app: PanelApp
    engine: Engine
    batch_size: int
    bulk_workers: int  # processes a bulk rebuild may use

    def head(self) -> int: ...
