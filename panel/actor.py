"""Who is doing what: the actor recorded with every stored event.

Each entry point names the person (or party) on whose behalf it writes, once per command or web
request, with ``acting_as(name)``; the application's mapper (``panel.application``) stores that
name with every event it encodes, under the reserved key ``ACTOR_KEY`` of the stored state, so the
actor is covered by the hash chain like the rest of the event and needs no table of its own.
Reading an event back takes the key out again: aggregates replay exactly as before, and an event
stored before actors were recorded simply has none (``None``; shown as ``-``).

A ``ContextVar`` carries the name, so concurrent web requests (each in its own context, and the
worker threads they call into copy it) never see each other's actor. Worker processes do not
inherit it: whoever starts them passes ``current()`` along and calls ``acting_as`` there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ACTOR_KEY = "_by"  # reserved in every event's stored state: no event class may have a field of this name
MAX_LENGTH = 100

_current: ContextVar[str | None] = ContextVar("panel_actor", default=None)


def current() -> str | None:
    """The actor of the command or request now running (None: nobody named one)."""
    return _current.get()


def clean(name: str) -> str | None:
    """A name as recorded: stripped, one line, at most MAX_LENGTH characters (None when empty)."""
    printable = "".join(c if c.isprintable() else " " for c in name)
    one_line = " ".join(printable.split())[:MAX_LENGTH]
    return one_line or None


@contextmanager
def acting_as(name: str | None) -> Iterator[str | None]:
    """Record events written inside this block as done by ``name`` (an empty name: nobody)."""
    token = _current.set(clean(name) if name else None)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def act_as(name: str | None) -> None:
    """Name the actor for the rest of this context (a CLI's `--by`, a web request once it knows who)."""
    _current.set(clean(name) if name else None)
