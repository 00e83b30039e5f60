"""Read and rewrite stored events from outside the application, as someone with database access could
(the events table is `stored_events` in SQLite and `panel_events` in a PostgreSQL schema).

Tests use this to tamper with the history (re-encrypting validly where the attacker would) and check
that verification notices.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any
from uuid import UUID

from panel.config import StoreLocation
from tests.helpers.tamper import disarm


def _pg(location: StoreLocation) -> Any:
    import psycopg

    return psycopg.connect(location.target, autocommit=True)


def events_of(location: StoreLocation, originator: UUID) -> list[tuple[int, str, dict[str, Any]]]:
    """Every stored event of one aggregate: (version, topic, decoded JSON state)."""
    if location.dialect == "sqlite":
        with sqlite3.connect(location.target) as conn:
            rows = conn.execute(
                "SELECT originator_version, topic, state FROM stored_events WHERE originator_id = ? "
                "ORDER BY originator_version",
                (originator.hex,),
            ).fetchall()
    else:
        with _pg(location) as conn:
            rows = conn.execute(
                f'SELECT originator_version, topic, state FROM "{location.schema}".panel_events '
                "WHERE originator_id = %s ORDER BY originator_version",
                (originator,),
            ).fetchall()
    return [(int(v), str(t), json.loads(bytes(s))) for v, t, s in rows]


def events_of_topic(location: StoreLocation, topic: str) -> list[dict[str, Any]]:
    """The decoded JSON state of every stored event of one topic, in log order."""
    if location.dialect == "sqlite":
        with sqlite3.connect(location.target) as conn:
            rows = conn.execute("SELECT state FROM stored_events WHERE topic = ? ORDER BY rowid", (topic,)).fetchall()
    else:
        with _pg(location) as conn:
            rows = conn.execute(
                f'SELECT state FROM "{location.schema}".panel_events WHERE topic = %s ORDER BY notification_id',
                (topic,),
            ).fetchall()
    return [json.loads(bytes(s)) for (s,) in rows]


def write_state(location: StoreLocation, originator: UUID, version: int, state: dict[str, Any] | bytes) -> None:
    """Overwrite one stored event's state in place."""
    raw = state if isinstance(state, bytes) else json.dumps(state, separators=(",", ":")).encode()
    if location.dialect == "sqlite":
        with sqlite3.connect(location.target) as conn:
            disarm(conn, "sqlite")  # as an attacker who can write the file would (tests.helpers.tamper)
            done = conn.execute(
                "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                (raw, originator.hex, version),
            ).rowcount
    else:
        with _pg(location) as conn:
            disarm(conn, "postgres")  # the maintenance switch, as an owner would set it
            done = conn.execute(
                f'UPDATE "{location.schema}".panel_events SET state = %s '
                "WHERE originator_id = %s AND originator_version = %s",
                (raw, originator, version),
            ).rowcount
    assert done == 1, (originator, version)


def rewrite(
    location: StoreLocation,
    originator: UUID,
    pick: Callable[[str, dict[str, Any]], bool],
    change: Callable[[dict[str, Any]], None],
) -> int:
    """Change the first event of ``originator`` that ``pick(topic, state)`` selects; return its version."""
    for version, topic, state in events_of(location, originator):
        if pick(topic, state):
            change(state)
            write_state(location, originator, version, state)
            return version
    raise AssertionError(f"no event of {originator} matched")


def iso(text: str) -> dict[str, str]:
    """A time as the store's JSON transcoder writes it."""
    return {"_type_": "datetime_iso", "_data_": text}
