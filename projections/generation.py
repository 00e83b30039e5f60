"""A view generation being written (``Target``), what catch-ups and rebuilds read through (``Source``) and the
progress callback they report to."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from projections.view_base import Batch, View

Progress = Callable[[int, int], None]  # (done, total) notifications


@dataclass
class Target:
    """One generation of one view: the view, its tables, and the key its tracking position is kept under."""

    view: View
    tables: dict[str, Table]
    key: str


class Source(Protocol):
    """What a catch-up or a bulk load reads through: the projector (``projections.engine.Projector``) provides it."""

    app: Any
    engine: Engine
    batch_size: int

    def head(self) -> int: ...

    def pages(
        self,
        start: int,
        topics: set[str],
        query_topics: Sequence[str] = (),
        stop: int = 0,
        part: tuple[int, int] | None = None,
    ) -> Iterator[tuple[int, int, Batch]]: ...
