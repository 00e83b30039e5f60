"""Look at a store from outside the application: what tables exist and how many rows each holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from panel.config import StoreLocation
from panel.store.rate_counts import TABLE as RATE_COUNTS


def table_rows(location: StoreLocation, counts: bool = False) -> dict[str, int]:
    """Every table of the store (SQLite file or PostgreSQL schema) and its row count; {} if there is none.

    Two snapshots taken around a refused command must be equal: "nothing written" means no new
    table, no new row and no row removed, in the events, the keys and the read models alike. The web
    limits' counts (``panel_rate_counts``) are left out unless ``counts``: a refused post from a client
    address is meant to count against that address (tests/e2e/webapp/test_shared_limits.py checks them).
    """
    rows = _all_table_rows(location)
    return rows if counts else {name: n for name, n in rows.items() if name != RATE_COUNTS}


def _all_table_rows(location: StoreLocation) -> dict[str, int]:
    if location.dialect == "sqlite":
        path = Path(location.target)
        if not path.exists():
            return {}
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}
    import psycopg

    schema = location.schema or "public"
    with psycopg.connect(location.target, autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                (schema,),
            )
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{schema}"."{n}"').fetchone()[0] for n in sorted(names)}
