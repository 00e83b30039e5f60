"""Fixtures of the projection tests: a projector over the test's own store (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from projections import Projector, make_engine


@pytest.fixture
def projector(app: PanelApp, location: StoreLocation) -> Iterator[Projector]:
    engine = make_engine(location)
    yield Projector(app, engine, batch_size=3)
    engine.dispose()
