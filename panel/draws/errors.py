"""What the draw service raises, under the one PanelError base."""

from __future__ import annotations

from panel.domain.errors import PanelError


class NoEligiblePeopleError(PanelError):
    """Raised when nobody can be drawn for an engagement at that time."""


class DrawNotFoundError(PanelError):
    """Raised when no draw has the given id."""


class DrawUnreadableError(PanelError):
    """Raised when a draw's stored record cannot be read (a corrupted event)."""


class DrawExistsError(PanelError):
    """Raised when an engagement already has a draw and a new round was not asked for."""


class DrawConflictError(PanelError):
    """Raised when another writer recorded the same draw, or changed its panel, while it ran."""
