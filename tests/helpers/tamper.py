"""Edit the stored events by position from outside the application, as someone with the owner's rights could.

The database refuses UPDATE and DELETE on the events and chain tables (panel.store.append_only), so
each edit first does what such an attacker would: on SQLite drop the triggers (anyone who can write
the file can), on PostgreSQL set the maintenance switch for the session (``panel.maintenance``).
With ``guarded=True`` an edit goes straight at the guard (and is refused). Positions are SQLite's
``rowid`` and PostgreSQL's ``notification_id``; the chain table is left alone
except by ``recompute_chain``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from panel.config import StoreLocation
from tests.helpers.chain_case import chain_by_formula


def disarm(conn: Any, dialect: str) -> None:
    """Lift the append-only guard on this connection, as an owner (or anyone who can write the SQLite file) can."""
    if dialect == "sqlite":
        found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'panel_%'")
        for (name,) in (found or conn).fetchall():  # a connection's execute returns a cursor, a cursor's may not
            conn.execute(f'DROP TRIGGER "{name}"')
    else:
        conn.execute("SET panel.maintenance = 'on'")


@contextmanager
def _db(location: StoreLocation, guarded: bool = False) -> Iterator[tuple[Any, str, str, str]]:
    """(connection, events table, position column, parameter mark), guard lifted unless ``guarded``; committed."""
    if location.dialect == "sqlite":
        conn = sqlite3.connect(location.target)
        try:
            if not guarded:
                disarm(conn, "sqlite")
            yield conn, "stored_events", "rowid", "?"
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as pg:
        if not guarded:
            disarm(pg, "postgres")
        yield pg, f'"{location.schema}".panel_events', "notification_id", "%s"


def flip_byte(location: StoreLocation, position: int, index: int = -1, guarded: bool = False, mask: int = 0x01) -> None:
    """Change one byte of the stored state of the event at ``position`` (XOR ``mask``)."""
    with _db(location, guarded) as (conn, table, pos, p):
        state = bytearray(conn.execute(f"SELECT state FROM {table} WHERE {pos} = {p}", (position,)).fetchone()[0])
        state[index] ^= mask
        conn.execute(f"UPDATE {table} SET state = {p} WHERE {pos} = {p}", (bytes(state), position))


def delete(location: StoreLocation, position: int, guarded: bool = False) -> None:
    with _db(location, guarded) as (conn, table, pos, p):
        conn.execute(f"DELETE FROM {table} WHERE {pos} = {p}", (position,))


def insert_forged(location: StoreLocation, like: int) -> int:
    """Insert a new aggregate's first event, a copy of the one at ``like``'s topic and state; its position."""
    with _db(location) as (conn, table, pos, p):
        topic, state = conn.execute(f"SELECT topic, state FROM {table} WHERE {pos} = {p}", (like,)).fetchone()
        new = uuid4()
        conn.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES ({p}, 1, {p}, {p})",
            (new.hex if location.dialect == "sqlite" else new, topic, state),
        )
        return int(conn.execute(f"SELECT MAX({pos}) FROM {table}").fetchone()[0])


def swap(location: StoreLocation, first: int, second: int, guarded: bool = False) -> None:
    """Exchange the positions of two events."""
    with _db(location, guarded) as (conn, table, pos, p):
        for old, new in ((first, -1), (second, first), (-1, second)):
            conn.execute(f"UPDATE {table} SET {pos} = {p} WHERE {pos} = {p}", (new, old))


def edit_state(location: StoreLocation, topic: str, edit: Any) -> None:
    """Rewrite the (JSON) state of the first stored event of ``topic`` through ``edit(dict)``, consistently."""
    import json

    with _db(location) as (conn, table, pos, p):
        position, state = conn.execute(
            f"SELECT {pos}, state FROM {table} WHERE topic = {p} ORDER BY {pos} LIMIT 1", (topic,)
        ).fetchone()
        data = json.loads(bytes(state))
        edit(data)
        conn.execute(f"UPDATE {table} SET state = {p} WHERE {pos} = {p}", (json.dumps(data).encode(), position))


def recompute_chain(location: StoreLocation) -> None:
    """Replace the whole chain with one computed over the events as they are now: a consistent rewrite."""
    rows = chain_by_formula(location)
    with _db(location) as (conn, table, _, p):
        chain = f"{table}_chain"
        conn.execute(f"DELETE FROM {chain}")
        for row in rows:
            conn.execute(f"INSERT INTO {chain} (position, digest, hash) VALUES ({p}, {p}, {p})", row)
