"""What verifying a draw found, and how its messages name people (by reference, never by id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService


@dataclass
class Verification:
    """What a verification found: differences (none = verified) and what it could not re-check."""

    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.differences


class RefBook:
    """People's references for messages (never their hex ids), read once each."""

    def __init__(self, draws: DrawService) -> None:
        self.app = draws.app
        self._refs: dict[UUID, str] = {}

    def __call__(self, pid: UUID) -> str:
        if pid not in self._refs:
            try:
                self._refs[pid] = str(self.app.repository.get(pid).external_ref)
            except Exception:  # noqa: BLE001 - a record that cannot be read is named as such
                self._refs[pid] = f"an unreadable record ({pid.hex[:8]})"
        return self._refs[pid]

    def many(self, ids: Iterable[UUID]) -> str:
        return ", ".join(sorted(self(pid) for pid in ids))
