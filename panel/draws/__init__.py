"""Draws: build the pool, select, record, invite, verify, replace and certify, as one service.

``Draws(app)`` (``service``) is the use case; the modules beside it each hold one step: the pool
as of a moment (``pool_builder``, ``history``), composing and recording a draw (``compose``,
``record``), re-checking it (``verify``, ``legacy``, ``results``), replacing drop-outs
(``replace``) and the fairness certificate (``certificate``). They see the service only through
``protocols.DrawService``.
"""

from panel.draws.errors import (
    DrawConflictError,
    DrawExistsError,
    DrawNotFoundError,
    DrawUnreadableError,
    NoEligiblePeopleError,
)
from panel.draws.service import DRAW_TOPIC, DrawOutcome, Draws

__all__ = [
    "DRAW_TOPIC",
    "DrawConflictError",
    "DrawExistsError",
    "DrawNotFoundError",
    "DrawOutcome",
    "DrawUnreadableError",
    "Draws",
    "NoEligiblePeopleError",
]
