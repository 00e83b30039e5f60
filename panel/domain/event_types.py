"""The base classes our aggregates' events derive from, typed so mypy sees each event's fields.

At run time ``Event`` and ``Created`` are eventsourcing's ``Aggregate.Event`` and ``Aggregate.Created``
themselves: its metaclass makes every event class a frozen dataclass. mypy cannot see what a
metaclass does, so for the type checker alone the two are marked ``dataclass_transform``; then
``Participant.Registered(..., source=..., sealed=...)`` is checked field by field, a misspelt or
missing field is an error, and nothing changes when the code runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, dataclass_transform

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

__all__ = ["Created", "Event"]
