"""The Vested case as a store fixture: 6 people, 7 days at £350, VES-001 half a day on 5 March."""

from __future__ import annotations

from uuid import UUID

import pytest
from vested_case import open_vested

from panel.application import PanelApp


@pytest.fixture
def vested(app: PanelApp) -> tuple[UUID, dict[str, UUID]]:
    return open_vested(app)
