"""What the draw modules need from outside: the draw service's application (so they never import the
service), and the read models' narrowing of a pool (supplied by the wiring, never imported here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from panel.application import PanelApp
    from panel.domain.engagement import Engagement
    from panel.fatigue import FatigueRules


class DrawService(Protocol):
    """The draw service as its helper modules see it."""

    @property
    def app(self) -> PanelApp: ...

    @property
    def narrowing(self) -> PoolNarrowing | None: ...


@dataclass(frozen=True)
class Narrowed:
    """Who the read models say may be in a pool, from the facts they hold up to ``position``.

    ``ids`` must hold everyone the domain rules could let in, as the history stood at ``position``:
    the views only leave out people they know to be out (no consent, left, erased, not eligible,
    over a fatigue limit); whoever they keep is still judged from their own history.
    ``considered`` is how many participants the views know (the pool report's denominator).
    """

    ids: frozenset[UUID]
    position: int
    considered: int


class PoolNarrowing(Protocol):
    """The read models' first cut of a pool (``projections.pool_narrowing`` implements it)."""

    def narrow(self, engagement: Engagement, at: datetime, fatigue: FatigueRules) -> Narrowed:
        """The candidates for ``engagement`` at ``at`` under ``fatigue``, with the views' position."""
        ...
