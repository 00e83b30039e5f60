"""Read models (SQLAlchemy Core ``*_view`` tables) built from the panel's event log, exactly once."""

from __future__ import annotations

from projections.connection import make_engine
from projections.engine import Projector, ViewStatus

__all__ = ["Projector", "ViewStatus", "make_engine"]
