"""The stored log the audit tests share: sign-ups one by one and by the bulk import, and the chain by its formula.

``expected_head`` recomputes the chain from the raw tables by the formula in docs/audit.md,
independently of panel.store.chain.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.registration import Registration
from panel.store import bulk_import as bulk
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def signup(ref: str, source: str = "web") -> SignUp:
    at = T0 + timedelta(minutes=len(ref))
    return SignUp(
        ref=ref,
        channel="online",
        personal={"name": f"Person {ref}", "email": f"{ref.lower()}@example.org"},
        attributes={"age_band": "18-21"},
        consents=(ConsentSpec("contact", "v1", "online", "self", at),),
        at=at,
        source=source,
    )


def populate(app: PanelApp) -> int:
    """Four sign-ups one by one, then forty by the bulk import's worker processes; the last position."""
    registration = Registration(app)
    for i in range(4):
        registration.register(signup(f"O-{i}"))
    assert bulk.worth_it(40, 10)  # the parallel path: its batches are written through write_events
    assert registration.register_many([signup(f"B-{i}", "bulk") for i in range(40)], batch=10)[0] == 40
    last = app.recorder.max_notification_id()
    assert last == len(app.recorder.select_notifications(start=None, limit=10_000))  # no gaps
    return int(last)


def raw_rows(location: StoreLocation) -> list[tuple[Any, ...]]:
    """(position, originator id bytes, version, topic, state) of every stored event, straight from the database."""
    if location.dialect == "sqlite":
        with sqlite3.connect(location.target) as conn:
            rows = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
            ).fetchall()
        return [(p, bytes.fromhex(i), v, t, bytes(s)) for p, i, v, t, s in rows]
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            f'FROM "{location.schema}".panel_events ORDER BY notification_id'
        ).fetchall()
    return [(p, i.bytes, v, t, bytes(s)) for p, i, v, t, s in rows]


def chain_by_formula(location: StoreLocation) -> list[tuple[int, bytes, bytes]]:
    """(position, digest, hash) of every stored event by the formula in docs/audit.md (not panel.store.chain)."""
    previous, rows = bytes(32), []
    for position, uid, version, topic, state in raw_rows(location):
        name = topic.encode()
        event = hashlib.sha256(uid + version.to_bytes(8, "big") + len(name).to_bytes(4, "big") + name + state)
        previous = hashlib.sha256(previous + position.to_bytes(8, "big") + event.digest()).digest()
        rows.append((position, event.digest(), previous))
    return rows


def expected_head(location: StoreLocation) -> tuple[int, str]:
    """The chain's head (position, hex hash) by the formula in docs/audit.md."""
    rows = chain_by_formula(location)
    return (rows[-1][0], rows[-1][2].hex()) if rows else (0, bytes(32).hex())
