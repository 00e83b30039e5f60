"""The view registry: every view class, in the order they are built (and the one read on its own)."""

from __future__ import annotations

from projections.consent_view import ConsentView
from projections.fatigue_view import FatigueView
from projections.reach_view import ReachView
from projections.view_base import View

ALL_VIEWS: tuple[type[View], ...] = (ReachView, ConsentView, FatigueView)
VIEW_NAMES = tuple(v.name for v in ALL_VIEWS)


def every_view() -> tuple[type[View], ...]:
    """Every view whose tables `panel init` creates: the registry, and the payment ledger (read on its own)."""
    from projections.ledger_view import LedgerView

    return (*ALL_VIEWS, LedgerView)
