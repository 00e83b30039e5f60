"""What the draw modules need of the draw service: its application (so they never import the service)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from panel.application import PanelApp


class DrawService(Protocol):
    """The draw service as its helper modules see it."""

    @property
    def app(self) -> PanelApp: ...
