"""The one clock (panel.clock.now): the current time, tz-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from panel.clock import now


def test_now_is_the_current_time_in_utc() -> None:
    before = datetime.now(UTC)
    moment = now()
    after = datetime.now(UTC)
    assert moment.tzinfo is UTC and moment.utcoffset() == timedelta(0)
    assert before <= moment <= after
