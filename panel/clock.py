"""The one clock: the current time, tz-aware UTC (the time every event and read model stores)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC, with its tzinfo set."""
    return datetime.now(UTC)
