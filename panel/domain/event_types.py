"""The base classes our aggregates' events derive from, typed so mypy sees each event's fields, and ``new_history``.

At run time ``Event`` and ``Created`` are eventsourcing's ``Aggregate.Event`` and ``Aggregate.Created``
themselves: its metaclass makes every event class a frozen dataclass. mypy cannot see what a
metaclass does, so for the type checker alone the two are marked ``dataclass_transform``; then
``Participant.Registered(..., source=..., sealed=...)`` is checked field by field, a misspelt or
missing field is an error, and nothing changes when the code runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, dataclass_transform
from uuid import UUID

from eventsourcing.domain import Aggregate

if TYPE_CHECKING:

    @dataclass_transform(frozen_default=True)
    class Event(Aggregate.Event):
        """An aggregate's event: a frozen dataclass of its annotated fields."""

    class Created(Event, Aggregate.Created):
        """The event that creates an aggregate (it also carries ``originator_topic``)."""

else:
    Event = Aggregate.Event
    Created = Aggregate.Created

__all__ = ["Created", "Event", "new_history"]


def new_history(
    aggregate: type[Aggregate],
    id: UUID,
    created: tuple[type[Aggregate.Created], dict[str, Any]],
    later: Iterable[tuple[type[Aggregate.Event], dict[str, Any]]] = (),
) -> list[Aggregate.Event]:
    """The events of a new aggregate built directly, not by calling its methods one at a time (a bulk import).

    ``created`` is the created event's class and fields; ``later`` the class and fields of each event
    after it, in order. They share one timestamp and number on from version 1.
    """
    created_class, fields = created
    timestamp = created_class.create_timestamp()
    topic = f"{aggregate.__module__}:{aggregate.__qualname__}"
    events: list[Aggregate.Event] = [
        created_class(originator_topic=topic, originator_id=id, originator_version=1, timestamp=timestamp, **fields)
    ]
    for event_class, more in later:
        events.append(event_class(originator_id=id, originator_version=len(events) + 1, timestamp=timestamp, **more))
    return events
