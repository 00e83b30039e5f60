"""What the panel's bulk paths need of a recorder beyond the eventsourcing library's own interface.

Our recorders (``panel.store.recorders``) implement these for SQLite and PostgreSQL; code that
needs one of them asks for the protocol, not for a concrete recorder class, and ``partitioned``
says whether the recorder at hand has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from panel.store.partitions import RawRow, Row

if TYPE_CHECKING:
    from panel.application import PanelApp
    from panel.validation import SignUp


@runtime_checkable
class PartitionedReader(Protocol):
    """Reads one part of the aggregates over a window of notification ids, for a rebuild split over processes."""

    def select_partition(self, start: int, stop: int, topics: Sequence[str], part: int, parts: int) -> list[Row]:
        """Notifications with ids in (start, stop] whose originator falls in ``part`` of ``parts`` (by first byte)."""
        ...

    def select_raw(self, start: int, stop: int, topics: Sequence[str]) -> list[RawRow]:
        """Notifications with ids in (start, stop] of ``topics``, as plain tuples (``RawRow``): no UUID is made."""
        ...


@runtime_checkable
class StatementHook(Protocol):
    """Runs more statements in the transaction that inserts a save's events (``save(..., with_statements=f)``)."""

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        """Insert the events; ``with_statements=f`` calls ``f(cursor)`` before the commit."""
        ...


def partitioned(recorder: object) -> PartitionedReader:
    """``recorder`` as a PartitionedReader, or a TypeError naming what it lacks."""
    if not isinstance(recorder, PartitionedReader):
        raise TypeError(f"{type(recorder).__name__} cannot read the log by partition: use panel.store.recorders")
    return recorder


class SignUpWriter(Protocol):
    """What the bulk import needs of the registration service: its three seams, and the app.

    An item is a sign-up, or what the worker processes turn into one (a CSV import's rows: see
    ``panel.store.bulk_import.write_batches``' ``parse``).
    """

    app: PanelApp

    def fresh_items(self, chunk: Sequence[SignUp | Any], seen: set[UUID]) -> list[tuple[UUID, Any]]: ...

    def keys_for(self, items: list[tuple[UUID, Any]]) -> dict[UUID, bytes]: ...

    def write_events(self, stored: list[StoredEvent]) -> None: ...
